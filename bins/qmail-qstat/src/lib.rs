//! qmail-qstat: two lines, the number of messages in the queue (files under mess/*/) and
//! the number not yet preprocessed (files in todo/). qmail's version is a shell script
//! around find(1); this one counts the same entries without running anything.
#![forbid(unsafe_code)]

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use qmail_core::auto;
use qmail_core::errstr::errstr;
use qmail_core::queue::{self, Dir};

pub fn run() -> u8 {
    let mut out = io::stdout().lock();
    match run_in(Path::new(auto::QMAIL), &mut out) {
        Ok(()) => 0,
        Err((path, e)) => {
            let _ = writeln!(
                io::stderr().lock(),
                "qmail-qstat: fatal: unable to read {}: {}",
                path.display(),
                errstr(&e)
            );
            111
        }
    }
}

/// Every entry below `dir`, subdirectories included (as `find dir` lists them).
fn count(dir: &Path) -> Result<u64, (PathBuf, io::Error)> {
    let err = |e| (dir.to_path_buf(), e);
    let mut n: u64 = 0;
    for d in fs::read_dir(dir).map_err(err)? {
        let d = d.map_err(err)?;
        n = n.saturating_add(1);
        if d.file_type().map_err(err)?.is_dir() {
            n = n.saturating_add(count(&d.path())?);
        }
    }
    Ok(n)
}

/// Print the two counts for the qmail home `home`.
pub fn run_in(home: &Path, out: &mut impl Write) -> Result<(), (PathBuf, io::Error)> {
    let queue = home.join(queue::dirs::QUEUE);
    let mut mess: u64 = 0;
    for n in 0..auto::SPLIT {
        mess = mess.saturating_add(count(&queue.join(Dir::Mess.subdir(n)))?);
    }
    let todo = count(&queue.join(Dir::Todo.name()))?;
    let _ = writeln!(out, "messages in queue: {mess}");
    let _ = writeln!(out, "messages in queue but not yet preprocessed: {todo}");
    Ok(())
}
