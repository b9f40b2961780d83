//! mbox delivery (mbox(5)): From_ line, Return-Path, Delivered-To, the message with
//! `>From ` quoting, a blank separator line; appended under an exclusive flock that
//! is given up on after 30 seconds, and cut back to the old end on any failure.
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use nix::sys::signal::Signal;
use qmail_sys::sig;

use crate::die::Die;

/// How long a lock held by someone else is waited for.
const LOCK_WAIT_SECS: u32 = 30;
/// Lines are quoted by looking at (at most) this many bytes at their start.
const LINE_CHUNK: u64 = 64 * 1024;

#[derive(Debug)]
pub enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

/// Is this line (from its start) one that a mail reader would take for a From_ line,
/// possibly already quoted?
fn needs_quote(line: &[u8]) -> bool {
    let start = line.iter().position(|&b| b != b'>').unwrap_or(line.len());
    line.get(start..)
        .is_some_and(|rest| rest.starts_with(b"From "))
}

/// Copy the message with `>From ` quoting; a last line without newline gets one.
pub fn copy_quoted(r: impl Read, w: &mut impl Write) -> Result<(), CopyError> {
    let mut r = BufReader::new(r);
    let mut chunk = Vec::new();
    let mut at_line_start = true;
    loop {
        chunk.clear();
        let n = (&mut r)
            .take(LINE_CHUNK)
            .read_until(b'\n', &mut chunk)
            .map_err(CopyError::Read)?;
        if n == 0 {
            break;
        }
        if at_line_start && needs_quote(&chunk) {
            w.write_all(b">").map_err(CopyError::Write)?;
        }
        w.write_all(&chunk).map_err(CopyError::Write)?;
        at_line_start = chunk.last() == Some(&b'\n');
    }
    if !at_line_start {
        w.write_all(b"\n").map_err(CopyError::Write)?;
    }
    Ok(())
}

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

fn lock(f: File) -> Result<Target, Die> {
    let _ = sig::catch_flag(Signal::SIGALRM);
    sig::alarm(LOCK_WAIT_SECS);
    let r = Flock::lock(f, FlockArg::LockExclusive);
    // qmail_sys::sig::alarm(0) panics in nix 0.29 (it wants alarm::cancel).
    let _ = nix::unistd::alarm::cancel();
    let alarmed = sig::take_flag(Signal::SIGALRM);
    match r {
        Ok(l) => Ok(Target::Locked(l)),
        Err((_, Errno::EINTR)) if alarmed => Err(Die::mbox_locked()),
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
) -> Result<(), Die> {
    let f = File::options()
        .append(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_NONBLOCK)
        .open(std::ffi::OsStr::from_bytes(path))
        .map_err(|e| Die::open_mbox(path, &e))?;
    let mut target = lock(f)?;
    let locked = matches!(target, Target::Locked(_));
    let file = target.file();
    let start = file
        .seek(SeekFrom::End(0))
        .map_err(|e| Die::write_mbox(path, &e))?;
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
                CopyError::Write(e) => Die::write_mbox(path, &e),
                CopyError::Read(e) => Die::read_message(&e),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(m: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        copy_quoted(m, &mut out).unwrap();
        out
    }

    #[test]
    fn from_lines_are_quoted() {
        assert_eq!(quoted(b"From me\nx\n"), b">From me\nx\n");
        assert_eq!(
            quoted(b"a\nFrom x\n>From y\n>>From z\n"),
            b"a\n>From x\n>>From y\n>>>From z\n"
        );
        assert_eq!(
            quoted(b"From\nFromx\n From y\n>From\n"),
            b"From\nFromx\n From y\n>From\n"
        );
        assert_eq!(quoted(b"from x\n"), b"from x\n");
    }

    #[test]
    fn missing_final_newline_is_added() {
        assert_eq!(quoted(b"a\nFrom b"), b"a\n>From b\n");
        assert_eq!(quoted(b""), b"");
    }

    #[test]
    fn long_lines_are_quoted_once() {
        let mut m = b"From ".to_vec();
        m.extend(std::iter::repeat(b'x').take(200_000));
        m.extend_from_slice(b"\nFrom y\n");
        let q = quoted(&m);
        assert_eq!(q.len(), m.len() + 2);
        assert!(q.starts_with(b">From xx"));
        assert!(q.ends_with(b"x\n>From y\n"));
    }

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
