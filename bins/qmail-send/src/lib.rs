//! qmail-send: the queue manager. `run` checks and sets up
//! everything in the order qmail-send always has, then hands over to the main loop.
#![forbid(unsafe_code)]

pub mod bounce;
pub mod chan;
mod cleanup;
pub mod controls;
mod daemon;
mod done;
mod inflight;
pub mod log;
mod pass;
mod queue;
mod records;
mod requeue;
pub mod rewrite;
mod scan;
pub mod sched;
mod shared;
#[cfg(test)]
mod smoke;
mod spawn;
mod todo;
pub mod verp;

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};

use nix::fcntl::{fcntl, FcntlArg, FdFlag, Flock, FlockArg, OFlag};
use nix::sys::signal::Signal;
use qmail_core::auto;
use qmail_sys::sig;

use crate::chan::{Channel, PerChannel};
use crate::daemon::{now, Daemon};

/// Start-up failed; the reason has been logged. qmail-send exits 111.
#[derive(Debug, thiserror::Error)]
#[error("cannot start")]
pub struct SendError;

impl From<SendError> for qmail_core::fatal::Fatal {
    /// qmail-send's reason went to its log, not to fd 2.
    fn from(_: SendError) -> qmail_core::fatal::Fatal {
        qmail_core::fatal::Fatal::quiet(111)
    }
}

fn alert(log: &mut File, text: &str) -> SendError {
    let _ = log.write_all(&log::alert(text));
    SendError
}

fn take(fd: i32) -> Result<OwnedFd, SendError> {
    let f = qmail_sys::fd::take(fd).map_err(|_| SendError)?;
    // Nothing qmail-send starts (qmail-queue for bounces) may inherit the daemon pipes.
    let _ = fcntl(f.as_raw_fd(), FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC));
    Ok(f)
}

/// The spawn's first byte: its own concurrency limit.
fn spawn_limit(f: &mut File) -> Option<u8> {
    let mut b = [0u8; 1];
    loop {
        match f.read(&mut b) {
            Ok(1) => return Some(b[0]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            _ => return None,
        }
    }
}

fn nonblock(f: &File) {
    let _ = fcntl(f.as_raw_fd(), FcntlArg::F_SETFL(OFlag::O_NONBLOCK));
}

pub fn run() -> Result<(), SendError> {
    let mut logf = File::from(take(0)?);
    std::env::set_current_dir(auto::QMAIL).map_err(|_| {
        alert(
            &mut logf,
            "cannot start: unable to switch to home directory",
        )
    })?;
    let ctl =
        controls::read().map_err(|_| alert(&mut logf, "cannot start: unable to read controls"))?;
    std::env::set_current_dir(qmail_core::queue::dirs::QUEUE).map_err(|_| {
        alert(
            &mut logf,
            "cannot start: unable to switch to queue directory",
        )
    })?;
    let _ = sig::ignore(Signal::SIGPIPE);
    for s in [Signal::SIGTERM, Signal::SIGALRM, Signal::SIGHUP] {
        let _ = sig::catch_flag(s);
        // Delivered only inside ppoll, so none is lost between a check and the wait.
        let _ = sig::block(s);
    }
    let _ = sig::default(Signal::SIGCHLD);
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    let mutex = OpenOptions::new()
        .write(true)
        .open(qmail_core::queue::dirs::SENDMUTEX)
        .map_err(|_| alert(&mut logf, "cannot start: unable to open mutex"))?;
    let lock = Flock::lock(mutex, FlockArg::LockExclusiveNonblock)
        .map_err(|_| alert(&mut logf, "cannot start: qmail-send is already running"))?;
    let nofire = "cannot start: hath the daemon spawn no fire?";
    let mut fds = Vec::with_capacity(6);
    for fd in 1..=6 {
        fds.push(File::from(take(fd).map_err(|_| alert(&mut logf, nofire))?));
    }
    let mut it = fds.into_iter();
    let (Some(lcmd), Some(mut lrep), Some(rcmd), Some(mut rrep), Some(cw), Some(cr)) = (
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
    ) else {
        return Err(alert(&mut logf, nofire));
    };
    let mut conc = PerChannel::default();
    for (c, rep) in [(Channel::Local, &mut lrep), (Channel::Remote, &mut rrep)] {
        let limit = spawn_limit(rep).ok_or_else(|| alert(&mut logf, nofire))?;
        let want = ctl.concurrency[c].min(u64::from(limit));
        conc[c] = usize::try_from(want).unwrap_or(0);
    }
    nonblock(&lcmd);
    nonblock(&rcmd);
    let todo = lock
        .try_clone()
        .and_then(|m| todo::TodoPhase::start(&logf, OwnedFd::from(m)))
        .map_err(|_| alert(&mut logf, "cannot start: unable to start qmail-todo"))?;
    let sched = sched::Sched::new(conc, ctl.lifetime);
    let shared = shared::Shared::new(logf, shared::Clean::new(cw, cr), sched, ctl);
    let spawns = spawn::Spawns::new(PerChannel::new(lcmd, rcmd), PerChannel::new(lrep, rrep));
    Daemon::new(shared, spawns, todo, now()).run();
    drop(lock);
    Ok(())
}
