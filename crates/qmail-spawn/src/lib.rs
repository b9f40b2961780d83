//! The spawn driver shared by qmail-lspawn and qmail-rspawn. It reads
//! commands from qmail-send on fd 0, starts one child per delivery through the program's
//! `Spawner`, collects the child's output, and when the output has ended and the child has
//! been reaped writes `delnum letter text \0` on fd 1. The first byte it ever writes is its
//! own concurrency limit (conf-spawn).
#![forbid(unsafe_code)]

pub mod cmd;
pub mod report;

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::process::Child;

use nix::poll::{PollFd, PollFlags};
use nix::sys::signal::{SigSet, Signal};
use qmail_core::auto;

use crate::cmd::{CmdParser, Command};

/// How a delivery child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Exited(u8),
    Crashed,
}

impl From<std::process::ExitStatus> for Status {
    fn from(s: std::process::ExitStatus) -> Status {
        match s.code() {
            Some(c) => Status::Exited(u8::try_from(c).unwrap_or(255)),
            None => Status::Crashed,
        }
    }
}

/// What `Spawner::spawn` did.
pub enum Started {
    Child(Child),
    /// A child made with fork alone (qmail_sys::fork), reaped with waitpid.
    Forked(nix::unistd::Pid),
    /// No child was needed or it could not start: report this status with no output.
    Done(Status),
}

pub trait Spawner: Sized {
    /// Output beyond this many bytes is cut (0 = no limit).
    const TRUNCREPORT: usize;
    /// Start a delivery of `mess` (open, fd 0 of the child) with its stdout and stderr on
    /// `out`. `at` is the position of the last `@` in `recip`.
    fn spawn(
        &mut self,
        mess: File,
        out: OwnedFd,
        sender: &[u8],
        recip: &[u8],
        at: usize,
    ) -> Started;
    /// The report (letter and text, without delnum and NUL) for a finished child.
    fn report(status: Status, output: &[u8]) -> Vec<u8>;
}

enum Proc {
    Std(Child),
    Forked(nix::unistd::Pid),
}

impl Proc {
    /// The status once the child has ended (it is reaped then).
    fn try_wait(&mut self) -> Option<Status> {
        use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
        match self {
            Proc::Std(c) => c.try_wait().ok().flatten().map(Status::from),
            Proc::Forked(pid) => match waitpid(*pid, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(_, c)) => {
                    Some(Status::Exited(u8::try_from(c).unwrap_or(255)))
                }
                Ok(WaitStatus::Signaled(..)) => Some(Status::Crashed),
                // ECHILD: already reaped; nothing more will come of it.
                Err(nix::errno::Errno::ECHILD) => Some(Status::Crashed),
                _ => None,
            },
        }
    }
}

struct Slot {
    child: Option<Proc>,
    out: Option<File>,
    output: Vec<u8>,
    status: Option<Status>,
}

const TRUNCMESS: &[u8] = b"\nError report too long, sorry.\n";

/// Append to a delivery's output, cutting it the way qmail-lspawn does.
pub fn append_output(output: &mut Vec<u8>, bytes: &[u8], trunc: usize) {
    output.extend_from_slice(bytes);
    if trunc > 100 && output.len() > trunc {
        output.truncate(trunc.saturating_sub(TRUNCMESS.len() + 3));
        output.extend_from_slice(TRUNCMESS);
    }
}

/// Run the spawn on fds 0 and 1 from the queue's mess directory. Returns the exit code.
pub fn drive<S: Spawner>(spawner: &mut S, qmailq: u32) -> u8 {
    let (Ok(cmdfd), Ok(repfd)) = (qmail_sys::fd::take(0), qmail_sys::fd::take(1)) else {
        return 111;
    };
    let mut rep = File::from(repfd);
    let mut cmdin = Some(File::from(cmdfd));
    let slots = usize::try_from(auto::SPAWN).unwrap_or(120).min(256);
    let _ = rep.write_all(&[u8::try_from(slots).unwrap_or(u8::MAX)]);
    let _ = qmail_sys::sig::catch_flag(Signal::SIGCHLD);
    let _ = qmail_sys::sig::block(Signal::SIGCHLD);
    let mut d: Vec<Option<Slot>> = (0..slots).map(|_| None).collect();
    let mut parser = CmdParser::default();
    loop {
        if cmdin.is_none() && d.iter().all(Option::is_none) {
            return 0;
        }
        let mut fds = Vec::new();
        let mut who = Vec::new();
        if let Some(c) = cmdin.as_ref() {
            fds.push(PollFd::new(c.as_fd(), PollFlags::POLLIN));
            who.push(None);
        }
        for (i, s) in d.iter().enumerate() {
            if let Some(o) = s.as_ref().and_then(|s| s.out.as_ref()) {
                fds.push(PollFd::new(o.as_fd(), PollFlags::POLLIN));
                who.push(Some(i));
            }
        }
        let _ = nix::poll::ppoll(&mut fds, None, Some(SigSet::empty()));
        let ready: Vec<Option<usize>> = fds
            .iter()
            .zip(who)
            .filter(|(f, _)| f.revents().is_some_and(|e| !e.is_empty()))
            .map(|(_, w)| w)
            .collect();
        drop(fds);
        for w in ready {
            match w {
                None => {
                    let mut buf = [0u8; 1024];
                    let r = cmdin.as_mut().map(|c| c.read(&mut buf));
                    match r {
                        Some(Ok(n)) if n > 0 => {
                            for c in parser.feed(buf.get(..n).unwrap_or(&[])) {
                                docmd(spawner, &mut d, &mut rep, c, qmailq);
                            }
                        }
                        Some(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                        _ => cmdin = None,
                    }
                }
                Some(i) => read_output::<S>(&mut d, i),
            }
        }
        let _ = qmail_sys::sig::take_flag(Signal::SIGCHLD);
        for (i, slot) in d.iter_mut().enumerate() {
            let Some(s) = slot.as_mut() else { continue };
            if s.status.is_none() {
                if let Some(c) = s.child.as_mut() {
                    s.status = c.try_wait();
                }
            }
            if let (None, Some(st)) = (&s.out, s.status) {
                let r = S::report(st, &s.output);
                send(&mut rep, i, &r);
                *slot = None;
            }
        }
    }
}

fn read_output<S: Spawner>(d: &mut [Option<Slot>], i: usize) {
    let Some(Some(s)) = d.get_mut(i) else { return };
    let Some(o) = s.out.as_mut() else { return };
    let mut buf = [0u8; 4096];
    match o.read(&mut buf) {
        Ok(0) => s.out = None,
        Ok(n) => append_output(&mut s.output, buf.get(..n).unwrap_or(&[]), S::TRUNCREPORT),
        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
        Err(_) => s.out = None,
    }
}

/// The flags for opening a message, beyond O_RDONLY and O_CLOEXEC.
fn open_flags() -> i32 {
    (nix::fcntl::OFlag::O_NONBLOCK | nix::fcntl::OFlag::O_NOFOLLOW).bits()
}

fn send(rep: &mut File, delnum: usize, text: &[u8]) {
    let mut v = Vec::with_capacity(text.len().saturating_add(2));
    v.push(u8::try_from(delnum).unwrap_or(u8::MAX));
    v.extend_from_slice(text);
    v.push(0);
    let _ = rep.write_all(&v);
}

fn docmd<S: Spawner>(
    spawner: &mut S,
    d: &mut [Option<Slot>],
    rep: &mut File,
    c: Command,
    qmailq: u32,
) {
    let i = usize::from(c.delnum);
    let in_use = d.get(i).is_some_and(Option::is_some);
    if let Err(text) = cmd::validate(&c, d.len(), in_use) {
        send(rep, i, text.as_bytes());
        return;
    }
    let at = c.recip.iter().rposition(|&b| b == b'@').unwrap_or(0);
    let messid = c.messid.strip_suffix(b"\0").unwrap_or(&c.messid);
    let path = <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(messid);
    // Non-blocking and not through a symlink: a FIFO put at mess/N/id (by anyone who
    // runs as qmailq) must not hang the spawner and every delivery with it. The fstat
    // below then refuses anything but a regular file; on one, O_NONBLOCK changes nothing.
    let Ok(mess) = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(open_flags())
        .open(path)
    else {
        send(rep, i, b"Zqmail-spawn unable to open message. (#4.3.0)\n");
        return;
    };
    let Ok(meta) = mess.metadata() else {
        send(rep, i, b"Zqmail-spawn unable to fstat message. (#4.3.0)\n");
        return;
    };
    if !meta.file_type().is_file() {
        send(rep, i, b"ZSorry, message has wrong type. (#4.3.5)\n");
        return;
    }
    // qmailq owns every message; anything else means the queue is not what it should be.
    if meta.uid() != qmailq {
        send(rep, i, b"ZSorry, message has wrong owner. (#4.3.5)\n");
        return;
    }
    let Ok((r, w)) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) else {
        send(rep, i, b"Zqmail-spawn unable to create pipe. (#4.3.0)\n");
        return;
    };
    let slot = match spawner.spawn(mess, w, &c.sender, &c.recip, at) {
        Started::Child(child) => Slot {
            child: Some(Proc::Std(child)),
            out: Some(File::from(r)),
            output: Vec::new(),
            status: None,
        },
        Started::Forked(pid) => Slot {
            child: Some(Proc::Forked(pid)),
            out: Some(File::from(r)),
            output: Vec::new(),
            status: None,
        },
        Started::Done(st) => Slot {
            child: None,
            out: None,
            output: Vec::new(),
            status: Some(st),
        },
    };
    if let Some(s) = d.get_mut(i) {
        *s = Some(slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation() {
        let mut o = Vec::new();
        append_output(&mut o, &[b'x'; 2000], 3000);
        assert_eq!(o.len(), 2000);
        append_output(&mut o, &[b'y'; 2000], 3000);
        assert_eq!(o.len(), 3000 - 34 + TRUNCMESS.len());
        assert!(o.ends_with(TRUNCMESS));
        append_output(&mut o, &[b'z'; 10], 3000);
        assert_eq!(o.len(), 3000 - 34 + TRUNCMESS.len());
        let mut o = Vec::new();
        append_output(&mut o, &[b'x'; 20000], 0);
        assert_eq!(o.len(), 20000);
    }
}
