//! Giving a child one more descriptor at a fixed number, as notqmail's qmail-queue
//! interface does with fd 6 (the custom error text of exit code 82). `std::process`
//! sets up fds 0–2 only.
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::cvt::cvt;

/// Make `fd` appear as descriptor `to` in `cmd`'s child (without close-on-exec). `cmd`
/// owns `fd` until it is dropped, so the descriptor stays open until the child is started.
/// `to` must not be 0, 1 or 2 (those are `cmd`'s stdio, set up before this runs).
pub fn on_spawn_fd(cmd: &mut Command, fd: OwnedFd, to: RawFd) -> io::Result<&mut Command> {
    if to <= 2 {
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    }
    let place = move || -> io::Result<()> {
        let from = fd.as_raw_fd();
        if from == to {
            // dup2 onto itself keeps close-on-exec; clear it instead.
            // SAFETY: F_SETFD with a plain integer flag on a descriptor this closure owns.
            cvt(unsafe { libc::fcntl(from, libc::F_SETFD, 0) })?;
        } else {
            // SAFETY: `from` is open (owned by this closure); `to` is a plain number that
            // dup2 closes first if it is open in the child.
            cvt(unsafe { libc::dup2(from, to) })?;
        }
        Ok(())
    };
    // SAFETY: the closure runs between fork and exec and calls only dup2 or fcntl, which
    // are async-signal-safe; it allocates nothing (an error is an OS code, stored inline).
    Ok(unsafe { cmd.pre_exec(place) })
}
