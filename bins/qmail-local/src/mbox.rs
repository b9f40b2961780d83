//! mbox delivery (mbox(5)): From_ line, Return-Path, Delivered-To, the message with
//! `>From ` quoting, a blank separator line; appended under an exclusive flock that
//! is given up on after 30 seconds, and cut back to the old end on any failure.
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use nix::sys::signal::Signal;
use qmail_sys::sig;

use crate::die::{self, Fatal};

/// How long a lock held by someone else is waited for.
const LOCK_WAIT_SECS: u32 = 30;

pub use qmail_core::mbox::{copy_quoted, CopyError};

/// Everything that goes into the mbox for one message.
pub fn write_entry(
    msg: impl Read,
    w: &mut impl Write,
    ufline: &[u8],
    rpline: &[u8],
    dtline: &[u8],
) -> Result<(), CopyError> {
    for l in [ufline, rpline, dtline] {
        w.write_all(l).map_err(CopyError::Write)?;
    }
    copy_quoted(msg, w)?;
    w.write_all(b"\n").map_err(CopyError::Write)
}

/// The file stays open (and locked, if the lock was got) until the delivery is over.
enum Target {
    Locked(Flock<File>),
    Unlocked(File),
}

impl Target {
    fn file(&mut self) -> &mut File {
        match self {
            Target::Locked(f) => f,
            Target::Unlocked(f) => f,
        }
    }
}

fn lock(f: File) -> Result<Target, Fatal> {
    let _ = sig::catch_flag(Signal::SIGALRM);
    sig::alarm(LOCK_WAIT_SECS);
    let r = Flock::lock(f, FlockArg::LockExclusive);
    // qmail_sys::sig::alarm(0) panics in nix 0.29 (it wants alarm::cancel).
    let _ = nix::unistd::alarm::cancel();
    let alarmed = sig::take_flag(Signal::SIGALRM);
    match r {
        Ok(l) => Ok(Target::Locked(l)),
        Err((_, Errno::EINTR)) if alarmed => Err(die::mbox_locked()),
        // A lock that cannot be taken at all (not supported here) is no reason to defer.
        Err((f, _)) => Ok(Target::Unlocked(f)),
    }
}

pub fn deliver(
    msg: &File,
    path: &[u8],
    ufline: &[u8],
    rpline: &[u8],
    dtline: &[u8],
) -> Result<(), Fatal> {
    let f = File::options()
        .append(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_NONBLOCK)
        .open(std::ffi::OsStr::from_bytes(path))
        .map_err(|e| die::open_mbox(path, &e))?;
    let mut target = lock(f)?;
    let locked = matches!(target, Target::Locked(_));
    let file = target.file();
    let start = file
        .seek(SeekFrom::End(0))
        .map_err(|e| die::write_mbox(path, &e))?;
    let result = {
        let mut w = io::BufWriter::with_capacity(64 * 1024, &mut *file);
        write_entry(msg, &mut w, ufline, rpline, dtline)
            .and_then(|()| w.flush().map_err(CopyError::Write))
    }
    .and_then(|()| file.sync_all().map_err(CopyError::Write));
    match result {
        Ok(()) => Ok(()),
        Err(e) => {
            // Leave no half message behind for the next delivery to append to.
            if locked {
                let _ = file.set_len(start);
            }
            Err(match e {
                CopyError::Write(e) => die::write_mbox(path, &e),
                CopyError::Read(e) => die::read_message(&e),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_layout() {
        let mut out = Vec::new();
        write_entry(
            &b"Subject: s\n\nFrom here\n"[..],
            &mut out,
            b"From a@b Thu Jan 01 00:00:00 1970\n",
            b"Return-Path: <a@b>\n",
            b"Delivered-To: c@d\n",
        )
        .unwrap();
        assert_eq!(
            out,
            b"From a@b Thu Jan 01 00:00:00 1970\nReturn-Path: <a@b>\nDelivered-To: c@d\nSubject: s\n\n>From here\n\n"
        );
    }
}
