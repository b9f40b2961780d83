//! The todo phase: qmail-todo, a process of its own, preprocesses todo/ (so a flood of new
//! messages never holds up the scheduling of deliveries) and reports each message it has
//! turned into info, local and remote files. Here qmail-send has qmail-clean remove
//! todo/<id>, puts the message on its queues, and answers. A todo/<id> is removed only
//! after its files are written and qmail-send has heard of them; any crash before that
//! leaves it for the next scan, which redoes it from scratch.
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::process::{Child, Command, Stdio};

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use qmail_core::auto;
use qmail_core::queue::todopipe::{Cmd, Done, Lines, MAX_INFLIGHT, MAX_LINE};
use qmail_core::queue::Dir;

use crate::chan::{Channel, CHANNELS};
use crate::log;
use crate::sched::Timestamp;
use crate::shared::Shared;

/// qmail-todo's descriptor that holds qmail-send's lock on lock/sendmutex.
const TODO_MUTEX_FD: i32 = 3;

pub struct TodoPhase {
    child: Option<Child>,
    from: Option<File>,
    to: Option<File>,
    lines: Lines,
    /// Answers not yet written (the pipe is non-blocking; bounded by qmail-todo's limit).
    out: Vec<u8>,
}

fn nonblock(fd: BorrowedFd<'_>) {
    let _ = fcntl(fd.as_raw_fd(), FcntlArg::F_SETFL(OFlag::O_NONBLOCK));
}

impl TodoPhase {
    /// Start `bin/qmail-todo` with the log as its fd 2 and `mutex` (a descriptor of the
    /// locked lock/sendmutex) as its fd 3.
    pub fn start(log: &File, mutex: OwnedFd) -> io::Result<TodoPhase> {
        let path: std::path::PathBuf = [auto::QMAIL, "bin", "qmail-todo"].iter().collect();
        let mut cmd = Command::new(path);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log.try_clone()?));
        qmail_sys::childfd::on_spawn_fd(&mut cmd, mutex, TODO_MUTEX_FD)?;
        let mut child = cmd.spawn()?;
        let to = child.stdin.take().map(|s| File::from(OwnedFd::from(s)));
        let from = child.stdout.take().map(|s| File::from(OwnedFd::from(s)));
        let (Some(to), Some(from)) = (to, from) else {
            return Err(io::Error::from(io::ErrorKind::BrokenPipe));
        };
        nonblock(to.as_fd());
        nonblock(from.as_fd());
        Ok(TodoPhase {
            child: Some(child),
            from: Some(from),
            to: Some(to),
            lines: Lines::default(),
            out: Vec::new(),
        })
    }

    /// qmail-todo's report pipe, to poll.
    pub fn report_fd(&self) -> Option<BorrowedFd<'_>> {
        self.from.as_ref().map(AsFd::as_fd)
    }

    /// The answer pipe, while answers wait to be written.
    pub fn pending_fd(&self) -> Option<BorrowedFd<'_>> {
        match (&self.to, self.out.is_empty()) {
            (Some(t), false) => Some(t.as_fd()),
            _ => None,
        }
    }

    /// Read qmail-todo's reports and take in each message; while exiting, leave them
    /// (todo/ keeps them for the next qmail-send).
    pub fn step(&mut self, sh: &mut Shared, readable: bool, n: Timestamp) {
        if readable && !sh.sched.exiting() {
            for d in self.read(sh) {
                take_in(sh, d, n);
                self.out.extend_from_slice(&Cmd::Ack(d.id).encode());
            }
        }
        self.flush(sh);
    }

    /// SIGHUP: qmail-todo rereads its controls too.
    pub fn reread(&mut self, sh: &mut Shared) {
        self.out.extend_from_slice(&Cmd::Reread.encode());
        self.flush(sh);
    }

    fn read(&mut self, sh: &mut Shared) -> Vec<Done> {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        // At most what qmail-todo may have outstanding, so one round stays short.
        let limit = MAX_INFLIGHT.saturating_mul(MAX_LINE.saturating_add(1));
        let mut total = 0usize;
        while total < limit {
            let Some(from) = self.from.as_mut() else {
                break;
            };
            match from.read(&mut buf) {
                Ok(0) => {
                    self.lost(sh);
                    break;
                }
                Ok(k) => {
                    total = total.saturating_add(k);
                    let Some(lines) = self.lines.feed(buf.get(..k).unwrap_or(&[])) else {
                        self.lost(sh);
                        break;
                    };
                    for l in lines {
                        match Done::parse(&l) {
                            Some(d) => got.push(d),
                            None => {
                                self.lost(sh);
                                return got;
                            }
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    self.lost(sh);
                    break;
                }
            }
        }
        got
    }

    fn flush(&mut self, sh: &mut Shared) {
        while !self.out.is_empty() {
            let Some(to) = self.to.as_mut() else {
                self.out.clear();
                return;
            };
            match to.write(&self.out) {
                Ok(k) if k > 0 => {
                    self.out.drain(..k.min(self.out.len()));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                _ => {
                    self.lost(sh);
                    return;
                }
            }
        }
    }

    /// qmail-todo died or broke the protocol: like a lost spawn, qmail-send stops.
    fn lost(&mut self, sh: &mut Shared) {
        if self.from.take().is_some() {
            sh.log(&log::alert("oh no! lost qmail-todo connection! dying..."));
        }
        self.to = None;
        self.out.clear();
        sh.sched.exit_asap();
    }

    /// At exit: close the pipes and wait for qmail-todo, so that it has stopped writing
    /// queue files before the lock on lock/sendmutex goes.
    pub fn finish(&mut self) {
        self.to = None;
        self.from = None;
        if let Some(mut c) = self.child.take() {
            let _ = c.wait();
        }
    }
}

/// qmail-todo wrote the files of `d.id`: remove todo/<id> and queue the message.
fn take_in(sh: &mut Shared, d: Done, n: Timestamp) {
    if !sh.clean_warn(&Dir::Todo.path(d.id)) {
        return;
    }
    let has = |c: Channel| match c {
        Channel::Local => d.local,
        Channel::Remote => d.remote,
    };
    for c in CHANNELS {
        if has(c) {
            sh.sched.insert(c, d.id, n);
        }
    }
    if !d.local && !d.remote {
        sh.sched.insert_done(d.id, n);
    }
}
