//! fork(2) without exec, for single-threaded programs: qmail-lspawn's per-delivery child
//! (spawn.c's fork) runs the delivery code of the binary already in memory, so it needs
//! neither /proc/self/exe nor the file on disk, and a delivery costs no extra exec.
//!
//! Why this is sound: after fork only the calling thread exists in the child. In a
//! multi-threaded program another thread may have held a lock (the allocator's, stdio's)
//! at that moment, and the child could deadlock or see broken state; in a single-threaded
//! one nothing can be held, so the child may run any Rust code. `fork_run` refuses when
//! /proc/self/task shows more than one thread; where /proc is not mounted it relies on
//! construction: its callers start no threads (qmail-lspawn's whole program is one
//! loop). The child never returns into the caller: it runs the given closure and `_exit`s,
//! so no object of the parent's stack is used or dropped twice.
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use nix::sys::signal::Signal;
use nix::unistd::Pid;

use crate::cvt::cvt;

/// How many threads this process has, when /proc tells.
fn threads() -> Option<usize> {
    Some(std::fs::read_dir("/proc/self/task").ok()?.count())
}

/// Fork; in the child put `stdio[i]` on descriptor i (0, 1, 2), unblock every signal, set
/// SIGPIPE and SIGCHLD to their defaults (as a `Command`'s child gets them), run `child`
/// and `_exit` with what it returns. In the parent, return the child's pid.
pub fn fork_run(stdio: [OwnedFd; 3], child: impl FnOnce() -> u8) -> io::Result<Pid> {
    if threads().is_some_and(|n| n != 1) {
        return Err(io::Error::from(io::ErrorKind::Unsupported));
    }
    // SAFETY: fork takes no arguments; the process is single-threaded (checked above, or
    // by construction where /proc is missing: see the module comment), so the child may
    // run any code.
    let pid = cvt(unsafe { libc::fork() })?;
    if pid != 0 {
        return Ok(Pid::from_raw(pid));
    }
    let code = match place_stdio(&stdio) {
        Ok(()) => {
            drop(stdio);
            let _ = crate::sig::block_none();
            let _ = crate::sig::default(Signal::SIGPIPE);
            let _ = crate::sig::default(Signal::SIGCHLD);
            child()
        }
        Err(_) => 111,
    };
    crate::exit::exit_now(code)
}

/// In the child: copies of the three above 2 first (so one cannot overwrite another still
/// to be placed), then dup2 onto 0, 1 and 2.
fn place_stdio(stdio: &[OwnedFd; 3]) -> io::Result<()> {
    let mut copies: Vec<RawFd> = Vec::with_capacity(3);
    for f in stdio {
        // SAFETY: F_DUPFD with an integer argument makes a new descriptor (at least 3)
        // or fails; the copy is not owned by any object and closes when the child execs
        // or exits.
        copies.push(cvt(unsafe {
            libc::fcntl(f.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3)
        })?);
    }
    for (to, from) in (0..).zip(copies) {
        // SAFETY: `from` is open (made above); dup2 replaces `to` (0, 1 or 2) in this
        // child, which never returns to the code that forked it: only `child` runs here,
        // and it was handed its values by move.
        cvt(unsafe { libc::dup2(from, to) })?;
    }
    Ok(())
}
