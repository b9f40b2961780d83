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

use mbox::Trouble;

const FATAL: &str = "maildir2mbox: fatal: ";
const WARNING: &str = "maildir2mbox: warning: ";

#[derive(Debug)]
pub struct Fatal {
    pub text: String,
}

impl Fatal {
    fn new(text: impl Into<String>) -> Fatal {
        Fatal { text: text.into() }
    }

    fn sys(what: &str, obj: &Path, e: &io::Error) -> Fatal {
        Fatal::new(format!("{what}{}: {}", obj.display(), errstr(e)))
    }

    /// Every failure is temporary: the messages are still in the Maildir.
    pub fn report(&self) -> u8 {
        let _ = writeln!(io::stderr().lock(), "{FATAL}{}", self.text);
        111
    }
}

use qmail_core::errstr::errstr;

fn var(name: &str) -> Result<OsString, Fatal> {
    std::env::var_os(name).ok_or_else(|| Fatal::new(format!("{name} not set")))
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
        .map_err(|e| Fatal::sys("unable to chdir to ", Path::new(&maildir), &e))?;
    let now = qmail_core::date822::now();
    maildir::clean(now);
    let messages = maildir::scan(now)
        .map_err(|(sub, e)| Fatal::new(format!("unable to scan $MAILDIR/{sub}: {}", errstr(&e))))?;
    if messages.is_empty() {
        return Ok(0);
    }

    let lockfile = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_NONBLOCK)
        .open(mail)
        .map_err(|e| Fatal::sys("unable to lock ", mail, &e))?;
    let _lock = Flock::lock(lockfile, FlockArg::LockExclusive)
        .map_err(|(_, e)| Fatal::sys("unable to lock ", mail, &errno_io(e)))?;

    let mut old = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(mail)
        .map_err(|e| Fatal::sys("unable to read ", mail, &e))?;
    let new = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .custom_flags(libc::O_NONBLOCK)
        .open(mailtmp)
        .map_err(|e| Fatal::sys("unable to create ", mailtmp, &e))?;
    let wfail = |e: &io::Error| Fatal::sys("unable to write to ", mailtmp, e);
    let mut out = BufWriter::with_capacity(64 * 1024, new);
    copy_old(&mut old, &mut out).map_err(|t| match t {
        Trouble::Read(e) => Fatal::sys("unable to read ", mail, &e),
        Trouble::Write(e) => wfail(&e),
    })?;

    for m in &messages {
        let rfail = |e: &io::Error| {
            Fatal::new(format!(
                "unable to read $MAILDIR/{}: {}",
                m.name.display(),
                errstr(e)
            ))
        };
        let f = File::open(&m.name).map_err(|e| rfail(&e))?;
        mbox::copy_message(&mut BufReader::new(f), m.mtime, &mut out).map_err(|t| match t {
            Trouble::Read(e) => rfail(&e),
            Trouble::Write(e) => wfail(&e),
        })?;
    }
    let new = out.into_inner().map_err(|e| wfail(e.error()))?;
    new.sync_all().map_err(|e| wfail(&e))?;
    drop(new);
    std::fs::rename(mailtmp, mail).map_err(|e| {
        Fatal::new(format!(
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

fn copy_old(old: &mut File, out: &mut impl Write) -> Result<(), Trouble> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match io::Read::read(old, &mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => out
                .write_all(buf.get(..n).unwrap_or_default())
                .map_err(Trouble::Write)?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Trouble::Read(e)),
        }
    }
}
