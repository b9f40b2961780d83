//! qmail-qread: for every message in queue/info, a line
//! `D Mon YYYY HH:MM:SS GMT  #ID  SIZE  <SENDER> ` (plus ` bouncing` when bounce/ID exists;
//! the time is info's mtime, the size mess's), then one line per recipient,
//! `\tlocal\tADDR` or `\tremote\tADDR`, prefixed by `  done` once delivered. Everything,
//! warnings included, goes to stdout; bytes outside 32..126 are shown as `_`.
#![forbid(unsafe_code)]

use std::fs;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use qmail_core::queue::records::{self, ChanRec};
use qmail_core::queue::{self, Dir};
use qmail_core::{auto, date822};

pub use qmail_core::errstr::errstr;

pub fn run() -> u8 {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let code = run_in(Path::new(auto::QMAIL), &mut out);
    match out.flush() {
        Ok(()) => code,
        Err(_) => 111,
    }
}

fn put(out: &mut impl Write, s: &[u8]) {
    let safe: Vec<u8> = s
        .iter()
        .map(|&c| if (32..=126).contains(&c) { c } else { b'_' })
        .collect();
    let _ = out.write_all(&safe);
}

/// Whether qmail-qread could chdir to `p`, as qmail's does: a directory it may search.
fn dir_ok(p: &Path) -> io::Result<()> {
    if !fs::metadata(p)?.is_dir() {
        return Err(io::Error::from_raw_os_error(libc::ENOTDIR));
    }
    nix::unistd::access(p, nix::unistd::AccessFlags::X_OK).map_err(io::Error::from)
}

/// List the queue of the qmail home `home`; the exit code.
pub fn run_in(home: &Path, out: &mut impl Write) -> u8 {
    let queue = home.join(queue::dirs::QUEUE);
    if let Err(e) = dir_ok(home).and_then(|()| dir_ok(&queue)) {
        let _ = writeln!(out, "fatal: unable to chdir: {}", errstr(&e));
        return 111;
    }
    for n in 0..auto::SPLIT {
        let sub = Dir::Info.subdir(n);
        let rd = match fs::read_dir(queue.join(&sub)) {
            Ok(rd) => rd,
            Err(e) => {
                let _ = writeln!(out, "fatal: unable to opendir {sub}: {}", errstr(&e));
                return 111;
            }
        };
        for d in rd.flatten() {
            let name = d.file_name();
            if name.as_bytes().starts_with(b".") {
                continue;
            }
            if let Some(id) = queue::parse_id(name.as_bytes()) {
                if let Err(e) = message(&queue, id, out) {
                    let _ = writeln!(out, "warning: trouble with #{id}: {}", errstr(&e));
                }
            }
        }
    }
    0
}

/// One message: its summary line and its recipients.
fn message(queue: &Path, id: u64, out: &mut impl Write) -> io::Result<()> {
    let size = fs::metadata(queue.join(Dir::Mess.path(id)))?.len();
    let bouncing = fs::metadata(queue.join(Dir::Bounce.path(id))).is_ok();
    let info_path = queue.join(Dir::Info.path(id));
    let info = fs::File::open(&info_path)?;
    let qtime = info.metadata()?.mtime();
    let data = fs::read(&info_path)?;
    let sender = records::decode_info(&data).unwrap_or_default();

    let date = date822::date822(qtime);
    let date = date.strip_suffix(" -0000").unwrap_or(&date);
    let mut line = format!("{date} GMT  #{id}  {size}  <").into_bytes();
    line.extend_from_slice(sender);
    line.extend_from_slice(b"> ");
    if bouncing {
        line.extend_from_slice(b" bouncing");
    }
    put(out, &line);
    let _ = out.write_all(b"\n");

    for dir in [Dir::Local, Dir::Remote] {
        let recips = match fs::read(queue.join(dir.path(id))) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => {
                let _ = writeln!(out, "warning: trouble with #{id}: {}", errstr(&e));
                continue;
            }
        };
        // complete records only: a fragment after the last \0 is still being written
        for rec in records::decode_chan(&recips) {
            let addr = match rec {
                ChanRec::Done(a) => {
                    let _ = out.write_all(b"  done");
                    a
                }
                ChanRec::Todo(a) => a,
                ChanRec::Unknown => continue,
            };
            let _ = write!(out, "\t{}\t", dir.name());
            put(out, addr);
            let _ = out.write_all(b"\n");
        }
    }
    Ok(())
}
