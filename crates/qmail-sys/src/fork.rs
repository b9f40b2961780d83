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

/// [`fork_run`], but the child closes every descriptor above 2 before it runs `child`, so
/// it holds nothing of its parent's but `stdio`: for a child that drops to another user
/// (qmail-lspawn's lookup as qmailp must not keep the message or other deliveries' pipes
/// open). `child` must not capture descriptors of its own: they would be closed too.
pub fn fork_run_bare(stdio: [OwnedFd; 3], child: impl FnOnce() -> u8) -> io::Result<Pid> {
    fork_run(stdio, || match close_above_stdio() {
        Ok(()) => child(),
        Err(_) => 111,
    })
}

/// In the child of fork_run_bare: close every descriptor from 3 up. close_range where the
/// kernel has it (Linux 5.9), else each descriptor up to the limit.
fn close_above_stdio() -> io::Result<()> {
    // SAFETY: close_range takes three integers and only closes descriptors; in this child
    // no object uses a descriptor above 2 any more (fork_run's copies are unowned, and
    // fork_run_bare's callers capture none).
    let r = unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) };
    if r == 0 {
        return Ok(());
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() != Some(libc::ENOSYS) {
        return Err(e);
    }
    // SAFETY: sysconf takes an integer name and returns a number.
    let max = unsafe { libc::sysconf(libc::_SC_OPEN_MAX) };
    let max = libc::c_int::try_from(max).unwrap_or(1024);
    for fd in 3..max.max(3) {
        // SAFETY: close takes an integer; a descriptor that is not open gives EBADF, which
        // is ignored. Nothing uses these descriptors afterwards (see above).
        unsafe { libc::close(fd) };
    }
    Ok(())
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
