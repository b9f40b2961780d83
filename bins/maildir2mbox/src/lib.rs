//! maildir2mbox: move the messages of `$MAILDIR` to the end of the mbox `$MAIL`
//! (maildir2mbox(1)). The new mbox is written whole to `$MAILTMP` (same file system as
//! `$MAIL`), fsync'ed and renamed over `$MAIL` while `$MAIL` is locked, so a crash leaves
//! either the old mbox or the new one; the Maildir files are removed only afterwards,
//! so a failure can duplicate mail but never lose it.
#![forbid(unsafe_code)]

mod maildir;
mod mbox;

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use nix::fcntl::{Flock, FlockArg};
use nix::sys::stat::{umask, Mode};

use mbox::CopyError;

const PROG: &str = "maildir2mbox";
const WARNING: &str = "maildir2mbox: warning: ";

use qmail_core::errstr::errstr;
use qmail_core::fatal::Fatal;

/// Every failure is temporary: the messages are still in the Maildir.
fn fatal(text: impl AsRef<[u8]>) -> Fatal {
    Fatal::die(111, PROG, text)
}

fn sys(what: &str, obj: &Path, e: &io::Error) -> Fatal {
    Fatal::sys(111, PROG, &format!("{what}{}: ", obj.display()), e)
}

fn var(name: &str) -> Result<OsString, Fatal> {
    std::env::var_os(name).ok_or_else(|| fatal(format!("{name} not set")))
}

fn errno_io(e: nix::errno::Errno) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}

pub fn run() -> Result<u8, Fatal> {
    umask(Mode::from_bits_truncate(0o077));
    let mail = var("MAIL")?;
    let mailtmp = var("MAILTMP")?;
    let maildir = var("MAILDIR")?;
    let (mail, mailtmp) = (Path::new(&mail), Path::new(&mailtmp));
    std::env::set_current_dir(&maildir)
        .map_err(|e| sys("unable to chdir to ", Path::new(&maildir), &e))?;
    let now = qmail_core::date822::now();
    maildir::clean(now);
    let messages = maildir::scan(now)
        .map_err(|(sub, e)| fatal(format!("unable to scan $MAILDIR/{sub}: {}", errstr(&e))))?;
    if messages.is_empty() {
        return Ok(0);
    }

    let lockfile = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_NONBLOCK)
        .open(mail)
        .map_err(|e| sys("unable to lock ", mail, &e))?;
    let _lock = Flock::lock(lockfile, FlockArg::LockExclusive)
        .map_err(|(_, e)| sys("unable to lock ", mail, &errno_io(e)))?;

    let mut old = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(mail)
        .map_err(|e| sys("unable to read ", mail, &e))?;
    let new = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .custom_flags(libc::O_NONBLOCK)
        .open(mailtmp)
        .map_err(|e| sys("unable to create ", mailtmp, &e))?;
    let wfail = |e: &io::Error| sys("unable to write to ", mailtmp, e);
    let mut out = BufWriter::with_capacity(64 * 1024, new);
    copy_old(&mut old, &mut out).map_err(|t| match t {
        CopyError::Read(e) => sys("unable to read ", mail, &e),
        CopyError::Write(e) => wfail(&e),
    })?;

    for m in &messages {
        let rfail = |e: &io::Error| {
            fatal(format!(
                "unable to read $MAILDIR/{}: {}",
                m.name.display(),
                errstr(e)
            ))
        };
        let f = File::open(&m.name).map_err(|e| rfail(&e))?;
        mbox::copy_message(&mut BufReader::new(f), m.mtime, &mut out).map_err(|t| match t {
            CopyError::Read(e) => rfail(&e),
            CopyError::Write(e) => wfail(&e),
        })?;
    }
    let new = out.into_inner().map_err(|e| wfail(e.error()))?;
    new.sync_all().map_err(|e| wfail(&e))?;
    drop(new);
    std::fs::rename(mailtmp, mail).map_err(|e| {
        fatal(format!(
            "unable to move {} to {}: {}",
            mailtmp.display(),
            mail.display(),
            errstr(&e)
        ))
    })?;

    for m in &messages {
        if let Err(e) = std::fs::remove_file(&m.name) {
            let _ = writeln!(
                io::stderr().lock(),
                "{WARNING}$MAILDIR/{} will be delivered twice; unable to unlink: {}",
                m.name.display(),
                errstr(&e)
            );
        }
    }
    Ok(0)
}

fn copy_old(old: &mut File, out: &mut impl Write) -> Result<(), CopyError> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match io::Read::read(old, &mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => out
                .write_all(buf.get(..n).unwrap_or_default())
                .map_err(CopyError::Write)?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(CopyError::Read(e)),
        }
    }
}
