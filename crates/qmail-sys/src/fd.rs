//! File descriptors whose numbers are fixed by a protocol (qmail-queue's fd 0 and 1, the
//! spawn pipes of qmail-send). A program takes ownership of such a descriptor once, after
//! checking that it is open.
use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use crate::cvt::cvt;

/// Is `fd` an open descriptor of this process?
pub fn is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD takes no third argument and only reads the descriptor table.
    let r = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    r != -1
}

/// Take ownership of a protocol descriptor. Fails with EBADF when it is not open, so a
/// caller that closed fd 1 cannot make us write into a file opened later.
pub fn take(fd: RawFd) -> io::Result<OwnedFd> {
    if fd < 0 || !is_open(fd) {
        return Err(io::Error::from_raw_os_error(libc::EBADF));
    }
    // SAFETY: fd is open (checked just above) and the caller gives up any other owner of
    // this number: each protocol descriptor is taken once, at start-up.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `dup2(from, to)` and close `from` unless they are the same: qmail's fd_move.
pub fn move_to(from: OwnedFd, to: RawFd) -> io::Result<OwnedFd> {
    use std::os::fd::AsRawFd;
    if from.as_raw_fd() == to {
        return Ok(from);
    }
    // SAFETY: from is an open owned descriptor and to is a plain descriptor number;
    // dup2 replaces whatever `to` was, which is the purpose of this call.
    cvt(unsafe { libc::dup2(from.as_raw_fd(), to) })?;
    drop(from);
    // SAFETY: dup2 succeeded, so `to` is now open and owned by nobody else in this process.
    Ok(unsafe { OwnedFd::from_raw_fd(to) })
}

/// `dup2(from, to)` keeping `from` open: qmail's fd_copy.
pub fn copy_to(from: RawFd, to: RawFd) -> io::Result<()> {
    if from == to {
        return Ok(());
    }
    // SAFETY: both are descriptor numbers; dup2 validates `from` and replaces `to`.
    cvt(unsafe { libc::dup2(from, to) })?;
    Ok(())
}
