//! maildirwatch: keep a terminal showing the new messages of `$MAILDIR` (maildirwatch(1)).
//! Every 30 seconds it clears the screen (VT100) and lists From and Subject of each
//! message in new/, oldest first. Output and memory are bounded whatever the Maildir
//! holds: at most `MAX_SHOWN` messages, `HEADER_MAX` bytes of each header, one
//! screen line per field.
#![forbid(unsafe_code)]

mod screen;

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::Duration;

const PROG: &str = "maildirwatch";
const INTERVAL: Duration = Duration::from_secs(30);

use qmail_core::fatal::Fatal;

/// new/ entries (not dot files), oldest first.
fn scan() -> io::Result<Vec<PathBuf>> {
    let mut v = Vec::new();
    for e in fs::read_dir("new")? {
        let e = e?;
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if let Ok(m) = e.metadata() {
            v.push((m.mtime(), e.path()));
        }
    }
    v.sort();
    Ok(v.into_iter().map(|(_, p)| p).collect())
}

pub fn run() -> Result<u8, Fatal> {
    let dir =
        std::env::var_os("MAILDIR").ok_or_else(|| Fatal::die(111, PROG, "MAILDIR not set"))?;
    std::env::set_current_dir(&dir).map_err(|e| {
        let what = format!("unable to chdir to {}: ", dir.to_string_lossy());
        Fatal::sys(111, PROG, &what, &e)
    })?;
    let host = nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default();
    loop {
        let names =
            scan().map_err(|e| Fatal::sys(111, PROG, "unable to scan $MAILDIR/new: ", &e))?;
        let page = screen::render(&host, &names);
        let mut out = io::stdout().lock();
        if out.write_all(&page).and_then(|()| out.flush()).is_err() {
            // The terminal is gone: nobody is watching any more.
            return Ok(0);
        }
        drop(out);
        std::thread::sleep(INTERVAL);
    }
}
