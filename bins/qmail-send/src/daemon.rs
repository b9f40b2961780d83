//! The main loop: poll the spawn and qmail-todo descriptors, then let each phase do one
//! step (qmail's comm_do, del_do, todo_do — here taking in what qmail-todo reports —
//! pass_do, cleanup_do), carrying out the scheduler's actions as they come.
use nix::poll::{PollFd, PollFlags};
use nix::sys::signal::{SigSet, Signal};

use crate::chan::{Channel, PerChannel, CHANNELS};
use crate::cleanup::CleanupPhase;
use crate::inflight::{self, Inflight};
use crate::pass::PassPhase;
use crate::sched::{Action, Timestamp};
use crate::shared::Shared;
use crate::spawn::{Spawns, Written};
use crate::todo::TodoPhase;
use crate::{done, log, queue, requeue};

/// Never sleep longer than this.
pub const SLEEP_FOREVER: Timestamp = 86400;
/// Added to every sleep so a due time has surely passed on waking.
pub const SLEEP_FUZZ: Timestamp = 1;

pub fn now() -> Timestamp {
    qmail_core::date822::now()
}

/// What a polled descriptor belongs to.
#[derive(Clone, Copy)]
enum Tag {
    /// qmail-todo's report pipe.
    Todo,
    /// qmail-todo's answer pipe, while answers wait to be written.
    TodoAnswer,
    /// A spawn's report pipe.
    Report(Channel),
    /// A spawn's command pipe, while a command waits to be written.
    Command,
}

/// What the poll found ready.
#[derive(Default)]
struct Ready {
    todo: bool,
    reports: PerChannel<bool>,
}

pub struct Daemon {
    sh: Shared,
    spawns: Spawns,
    todo: TodoPhase,
    pass: PassPhase,
    cleanup: CleanupPhase,
    inflight: Inflight,
}

impl Daemon {
    /// Log the status line and put every preprocessed message back on the queues.
    pub fn new(sh: Shared, spawns: Spawns, todo: TodoPhase, n: Timestamp) -> Daemon {
        let (inflight, left) = Inflight::open();
        let mut d = Daemon {
            sh,
            spawns,
            todo,
            pass: PassPhase::default(),
            cleanup: CleanupPhase::new(n),
            inflight,
        };
        let status = d.sh.sched.status();
        d.sh.log(&status);
        for (chan, msg, offset) in left {
            if let Some(recip) = inflight::still_todo(chan, msg, offset) {
                d.sh.log(&log::maybe_repeat(msg, chan, &recip));
            }
        }
        requeue::pqstart(&mut d.sh);
        d
    }

    /// Run until TERM (or a lost spawn) and every running delivery has reported.
    pub fn run(&mut self) {
        loop {
            self.signals();
            if self.sh.sched.can_exit() {
                break;
            }
            let n = now();
            let wake = self.wakeup(n).min(n.saturating_add(SLEEP_FOREVER));
            let timeout = if wake <= n { 0 } else { wake - n + SLEEP_FUZZ };
            let ready = self.wait(timeout);
            let n = now();
            self.comm_do();
            for c in CHANNELS {
                if ready.reports[c] {
                    self.del_do(c);
                }
            }
            self.todo.step(&mut self.sh, ready.todo, n);
            let acts = self.sh.sched.poll(n);
            self.perform(acts);
            self.pass_more();
            self.cleanup.step(&mut self.sh, n);
        }
        requeue::pqfinish(&mut self.sh);
        self.todo.finish();
        self.sh.log(log::EXITING);
    }

    /// Further pass steps in this round while a channel can move (bounded): every free
    /// delivery slot gets a recipient now rather than one per loop iteration.
    fn pass_more(&mut self) {
        for _ in 1..self.sh.sched.round_steps() {
            let acts = self.sh.sched.pass_do(now());
            if acts.is_empty() {
                break;
            }
            self.perform(acts);
        }
    }

    fn signals(&mut self) {
        if qmail_sys::sig::take_flag(Signal::SIGTERM) && !self.sh.sched.exiting() {
            self.sh.sched.exit_asap();
        }
        if qmail_sys::sig::take_flag(Signal::SIGALRM) {
            self.sh.sched.alarm(now());
        }
        if qmail_sys::sig::take_flag(Signal::SIGHUP) {
            self.sh.reread();
            self.todo.reread(&mut self.sh);
        }
    }

    fn wakeup(&self, n: Timestamp) -> Timestamp {
        let mut w = self.sh.sched.wakeup(n).unwrap_or(Timestamp::MAX);
        if !self.sh.sched.exiting() {
            w = w.min(self.cleanup.wakeup());
        }
        w
    }

    /// ppoll with TERM/ALRM/HUP unblocked only while waiting, so a signal arriving just
    /// before the wait still ends it.
    fn wait(&mut self, timeout: Timestamp) -> Ready {
        let mut fds = Vec::with_capacity(6);
        let mut tags = Vec::with_capacity(6);
        if !self.sh.sched.exiting() {
            if let Some(fd) = self.todo.report_fd() {
                fds.push(PollFd::new(fd, PollFlags::POLLIN));
                tags.push(Tag::Todo);
            }
        }
        if let Some(fd) = self.todo.pending_fd() {
            fds.push(PollFd::new(fd, PollFlags::POLLOUT));
            tags.push(Tag::TodoAnswer);
        }
        for c in CHANNELS {
            if self.sh.sched.spawn_alive(c) {
                fds.push(PollFd::new(self.spawns.report_fd(c), PollFlags::POLLIN));
                tags.push(Tag::Report(c));
                if let Some(fd) = self.spawns.pending_fd(c) {
                    fds.push(PollFd::new(fd, PollFlags::POLLOUT));
                    tags.push(Tag::Command);
                }
            }
        }
        let ts = nix::sys::time::TimeSpec::new(timeout, 0);
        let r = nix::poll::ppoll(&mut fds, Some(ts), Some(SigSet::empty()));
        let mut ready = Ready::default();
        if r.is_ok() {
            for (fd, tag) in fds.iter().zip(tags) {
                let is = fd.revents().is_some_and(|e| !e.is_empty());
                match tag {
                    Tag::Todo => ready.todo |= is,
                    // the todo step writes what the pipe takes on every round
                    Tag::TodoAnswer => {}
                    Tag::Report(c) => ready.reports[c] |= is,
                    // comm_do writes whatever the pipe takes on every round
                    Tag::Command => {}
                }
            }
        }
        ready
    }

    /// Write what is buffered for each live spawn (the command fds are non-blocking).
    fn comm_do(&mut self) {
        for c in CHANNELS {
            if !self.sh.sched.spawn_alive(c) {
                continue;
            }
            match self.spawns.write(c) {
                Written::Nothing | Written::Part => {}
                Written::All => self.sh.sched.command_sent(c),
                Written::Broken => {
                    let acts = self.sh.sched.spawn_died(c);
                    self.perform(acts);
                }
            }
        }
    }

    /// Read reports from a spawn; EOF or an error means the spawn is gone.
    fn del_do(&mut self, c: Channel) {
        match self.spawns.read(c) {
            Some(reports) => {
                for r in reports {
                    let acts = self.sh.sched.on_report(c, &r);
                    self.perform(acts);
                }
            }
            None => {
                let acts = self.sh.sched.spawn_died(c);
                self.perform(acts);
            }
        }
    }

    /// Carry out actions, including those the answers produce.
    fn perform(&mut self, acts: Vec<Action>) {
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
                self.sh.log(&l);
                Vec::new()
            }
            Action::OpenPass { chan, msg } => self.pass.open(&mut self.sh, chan, msg, n),
            Action::ReadRecord { chan } => self.pass.read(&mut self.sh, chan, n),
            Action::Began { chan, msg, offset } => {
                self.inflight.began(chan, msg, offset);
                Vec::new()
            }
            Action::Ended { chan, msg, offset } => {
                self.inflight.ended(chan, msg, offset);
                Vec::new()
            }
            Action::ClosePass { chan } => {
                self.pass.close(chan);
                Vec::new()
            }
            Action::Command { chan, bytes } => {
                self.spawns.command(chan, bytes);
                self.comm_do();
                Vec::new()
            }
            Action::AddBounce { msg, recip, text } => {
                let shown = self.sh.ctl.rewrite.strip_prepend(&recip).to_vec();
                done::addbounce(&mut self.sh, msg, &crate::bounce::paragraph(&shown, &text));
                Vec::new()
            }
            Action::MarkDone { msg, chan, offset } => {
                if !queue::markdone(chan, msg, offset) {
                    self.sh.log(&log::warn_fn(
                        "trouble marking ",
                        &chan.path(msg),
                        "; message will be delivered twice!",
                    ));
                }
                Vec::new()
            }
            Action::FinishChannel { msg, chan } => {
                done::finish_channel(&mut self.sh, chan, msg, n);
                Vec::new()
            }
            Action::MessDone { msg } => {
                done::messdone(&mut self.sh, msg);
                Vec::new()
            }
            Action::Requeue { msg } => {
                requeue::pqadd(&mut self.sh, msg);
                Vec::new()
            }
        }
    }
}
