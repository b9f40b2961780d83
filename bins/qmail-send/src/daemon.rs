//! The main loop: poll the spawn and trigger descriptors, then let each part do one step
//! (qmail's comm_do, del_do, todo_do, pass_do, cleanup_do), carrying out the scheduler's
//! actions as they come.
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::os::fd::AsFd;

use nix::poll::{PollFd, PollFlags};
use nix::sys::signal::{SigSet, Signal};

use crate::chan::{Channel, CHANNELS};
use crate::comm::ReportBuf;
use crate::controls::Controls;
use crate::sched::{Action, Sched, Timestamp};
use crate::{log, queue};

/// Rescan todo/ at least this often even without a trigger.
pub const SLEEP_TODO: Timestamp = 1500;
/// Sweep mess/ for leftovers this often.
pub const SLEEP_CLEANUP: Timestamp = 76431;
/// Never sleep longer than this.
pub const SLEEP_FOREVER: Timestamp = 86400;
/// Added to every sleep so a due time has surely passed on waking.
pub const SLEEP_FUZZ: Timestamp = 1;

pub struct Daemon {
    pub log: File,
    pub cmd: [File; 2],
    pub rep: [File; 2],
    pub clean_w: File,
    pub clean_r: File,
    pub clean_alive: bool,
    pub trigger: Option<(File, File)>,
    pub sched: Sched,
    pub ctl: Controls,
    pub passes: [Option<BufReader<File>>; 2],
    pub cmdbuf: [Vec<u8>; 2],
    pub reports: [ReportBuf; 2],
    pub todo: crate::scan::TodoScan,
    pub cleanup: crate::scan::CleanupScan,
}

pub fn now() -> Timestamp {
    qmail_core::date822::now()
}

impl Daemon {
    pub fn log(&mut self, line: &[u8]) {
        let _ = self.log.write_all(line);
    }

    /// Run until TERM (or a lost spawn) and every running delivery has reported.
    pub fn run(&mut self) {
        loop {
            self.signals();
            if self.sched.can_exit() {
                break;
            }
            let n = now();
            let wake = self.wakeup(n).min(n.saturating_add(SLEEP_FOREVER));
            let timeout = if wake <= n { 0 } else { wake - n + SLEEP_FUZZ };
            let (trig, rep_ready) = self.wait(timeout);
            let n = now();
            self.comm_do();
            for c in CHANNELS {
                if rep_ready[c.idx()] {
                    self.del_do(c);
                }
            }
            self.todo_do(trig, n);
            let acts = self.sched.poll(n);
            self.perform(acts);
            self.pass_more();
            self.cleanup_do(n);
        }
        self.pqfinish();
        self.log(log::EXITING);
    }

    /// Further pass steps in this round while a channel can move (bounded): every free
    /// delivery slot gets a recipient now rather than one per loop iteration.
    fn pass_more(&mut self) {
        for _ in 1..self.sched.round_steps() {
            let acts = self.sched.pass_do(now());
            if acts.is_empty() {
                break;
            }
            self.perform(acts);
        }
    }

    fn signals(&mut self) {
        if qmail_sys::sig::take_flag(Signal::SIGTERM) && !self.sched.exiting() {
            self.sched.exit_asap();
        }
        if qmail_sys::sig::take_flag(Signal::SIGALRM) {
            self.sched.alarm(now());
        }
        if qmail_sys::sig::take_flag(Signal::SIGHUP) {
            self.reread();
        }
    }

    fn wakeup(&self, n: Timestamp) -> Timestamp {
        let mut w = self.sched.wakeup(n).unwrap_or(Timestamp::MAX);
        if !self.sched.exiting() {
            w = w.min(self.todo.wakeup()).min(self.cleanup.wakeup());
        }
        w
    }

    /// ppoll with TERM/ALRM/HUP unblocked only while waiting, so a signal arriving just
    /// before the wait still ends it. Returns (trigger readable, reports readable).
    fn wait(&mut self, timeout: Timestamp) -> (bool, [bool; 2]) {
        let mut fds = Vec::with_capacity(5);
        let mut who = Vec::with_capacity(5);
        let watch_trigger = !self.sched.exiting() && !self.todo.scanning();
        if let (true, Some((r, _))) = (watch_trigger, self.trigger.as_ref()) {
            fds.push(PollFd::new(r.as_fd(), PollFlags::POLLIN));
            who.push(0usize);
        }
        for c in CHANNELS {
            if self.sched.spawn_alive(c) {
                fds.push(PollFd::new(self.rep[c.idx()].as_fd(), PollFlags::POLLIN));
                who.push(1 + c.idx());
                if !self.cmdbuf[c.idx()].is_empty() {
                    fds.push(PollFd::new(self.cmd[c.idx()].as_fd(), PollFlags::POLLOUT));
                    who.push(3);
                }
            }
        }
        let ts = nix::sys::time::TimeSpec::new(timeout, 0);
        let r = nix::poll::ppoll(&mut fds, Some(ts), Some(SigSet::empty()));
        let mut trig = false;
        let mut rep = [false, false];
        if r.is_ok() {
            for (fd, w) in fds.iter().zip(who) {
                let ready = fd.revents().is_some_and(|e| !e.is_empty());
                match w {
                    0 => trig |= ready,
                    1 => rep[0] |= ready,
                    2 => rep[1] |= ready,
                    _ => {}
                }
            }
        }
        (trig, rep)
    }

    /// Write what is buffered for each spawn (the command fds are non-blocking).
    fn comm_do(&mut self) {
        for c in CHANNELS {
            let i = c.idx();
            if self.cmdbuf[i].is_empty() || !self.sched.spawn_alive(c) {
                continue;
            }
            match self.cmd[i].write(&self.cmdbuf[i]) {
                Ok(n) => {
                    self.cmdbuf[i].drain(..n.min(self.cmdbuf[i].len()));
                    if self.cmdbuf[i].is_empty() {
                        self.sched.command_sent(c);
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted
                    ) => {}
                Err(_) => {
                    self.cmdbuf[i].clear();
                    let acts = self.sched.spawn_died(c);
                    self.perform(acts);
                }
            }
        }
    }

    /// Read reports from a spawn; EOF or an error means the spawn is gone.
    fn del_do(&mut self, c: Channel) {
        let mut buf = [0u8; 4096];
        let i = c.idx();
        match self.rep[i].read(&mut buf) {
            Ok(n) if n > 0 => {
                let reports = self.reports[i].feed(buf.get(..n).unwrap_or(&[]));
                for r in reports {
                    let acts = self.sched.on_report(c, &r);
                    self.perform(acts);
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock
                ) => {}
            _ => {
                let acts = self.sched.spawn_died(c);
                self.perform(acts);
            }
        }
    }

    /// Carry out actions, including those the answers produce.
    pub fn perform(&mut self, acts: Vec<Action>) {
        let mut todo = std::collections::VecDeque::from(acts);
        while let Some(a) = todo.pop_front() {
            let more = self.perform_one(a);
            for m in more.into_iter().rev() {
                todo.push_front(m);
            }
        }
    }

    fn perform_one(&mut self, a: Action) -> Vec<Action> {
        let n = now();
        match a {
            Action::Log(l) => {
                self.log(&l);
                Vec::new()
            }
            Action::OpenPass { chan, msg } => match queue::open_pass(chan, msg) {
                Some((file, sender, birth)) => {
                    self.passes[chan.idx()] = Some(BufReader::new(file));
                    self.sched.pass_opened(chan, sender, birth, n);
                    Vec::new()
                }
                None => self.sched.pass_failed(chan, n),
            },
            Action::ReadRecord { chan } => {
                let rec = match self.passes[chan.idx()].as_mut() {
                    Some(r) => crate::records::next_record(r),
                    None => crate::sched::Record::ReadError,
                };
                self.sched.on_record(chan, rec, n)
            }
            Action::ClosePass { chan } => {
                self.passes[chan.idx()] = None;
                Vec::new()
            }
            Action::Command { chan, bytes } => {
                self.cmdbuf[chan.idx()] = bytes;
                self.comm_do();
                Vec::new()
            }
            Action::AddBounce { msg, recip, text } => {
                let shown = self.ctl.rewrite.strip_prepend(&recip).to_vec();
                self.addbounce(msg, &crate::bounce::paragraph(&shown, &text));
                Vec::new()
            }
            Action::MarkDone { msg, chan, offset } => {
                if !queue::markdone(chan, msg, offset) {
                    self.log(&log::warn_fn(
                        "trouble marking ",
                        &chan.path(msg),
                        "; message will be delivered twice!",
                    ));
                }
                Vec::new()
            }
            Action::FinishChannel { msg, chan } => {
                self.finish_channel(chan, msg, n);
                Vec::new()
            }
            Action::MessDone { msg } => {
                self.messdone(msg);
                Vec::new()
            }
            Action::Requeue { msg } => {
                self.pqadd(msg);
                Vec::new()
            }
        }
    }
}
