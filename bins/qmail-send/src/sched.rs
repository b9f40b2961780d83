//! The scheduler core: priority queues per channel, jobs and passes, delivery slots, the
//! retry schedule, queuelifetime and the handling of K/Z/D reports (spec §2.7). It makes no
//! I/O calls: each method returns the `Action`s that `main` carries out, and `main` feeds
//! back what it read (a pass's info, the next recipient record, a report).
use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::chan::{Channel, CHANNELS};
use crate::{log, verp};

/// A message id: the inode number of its mess file.
pub type MsgId = u64;
/// Seconds since the epoch.
pub type Timestamp = i64;

/// After a system failure (open, stat, unlink), try again this much later.
pub const SLEEP_SYSFAIL: Timestamp = 123;
/// Appended to a deferral that happens after queuelifetime; the deferral becomes a failure.
pub const TOO_LONG: &[u8] =
    b"I'm not going to try again; this message has been in the queue too long.\n";

#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    Log(Vec<u8>),
    /// Open the channel file of `msg` for reading and read its info; answer with
    /// `pass_opened` or `pass_failed`.
    OpenPass {
        chan: Channel,
        msg: MsgId,
    },
    /// Read the next record of the open pass; answer with `on_record`.
    ReadRecord {
        chan: Channel,
    },
    /// The pass is over: close its file.
    ClosePass {
        chan: Channel,
    },
    /// Write this command to the channel's spawn; call `command_sent` once it is written.
    Command {
        chan: Channel,
        bytes: Vec<u8>,
    },
    /// Append a failure paragraph to bounce/<msg> (before the recipient is marked done).
    AddBounce {
        msg: MsgId,
        recip: Vec<u8>,
        text: Vec<u8>,
    },
    /// Overwrite the record at `offset` of the channel file with `D`.
    MarkDone {
        msg: MsgId,
        chan: Channel,
        offset: u64,
    },
    /// Every recipient of this channel is done: unlink the channel file, then `insert`
    /// (unlink failed), nothing (the other channel's file exists) or `insert_done`.
    FinishChannel {
        msg: MsgId,
        chan: Channel,
    },
    /// Finish the message: inject its bounce, `end msg`, remove info and mess.
    MessDone {
        msg: MsgId,
    },
    /// Look at the message's channel files again (after a stat failure).
    Requeue {
        msg: MsgId,
    },
}

/// One record read from a channel file.
#[derive(Debug, PartialEq, Eq)]
pub enum Record {
    /// `T<addr>\0`: a recipient still to do.
    Todo(Vec<u8>),
    /// `D…\0` of this many bytes (NUL included): already done.
    Done(u64),
    Eof,
    ReadError,
    Unknown,
}

#[derive(Default)]
struct Job {
    id: MsgId,
    chan: Option<Channel>,
    refs: u32,
    retry: Timestamp,
    dying: bool,
    sender: Vec<u8>,
    hiteof: bool,
    numtodo: u32,
}

struct Pass {
    id: MsgId,
    job: usize,
    mpos: u64,
    ready: bool,
}

struct Del {
    job: usize,
    delid: u64,
    mpos: u64,
    recip: Vec<u8>,
}

type PrioQ = BinaryHeap<Reverse<(Timestamp, MsgId)>>;

pub struct Sched {
    conc: [usize; 2],
    used: [usize; 2],
    lifetime: Timestamp,
    pq: [PrioQ; 2],
    done: PrioQ,
    fail: PrioQ,
    jobs: Vec<Job>,
    pass: [Option<Pass>; 2],
    dels: [Vec<Option<Del>>; 2],
    spawn_alive: [bool; 2],
    cmd_pending: [bool; 2],
    next_delid: u64,
    exitasap: bool,
}

/// When to try `birth`'s message again on `chan`: birth + (floor(sqrt(now-birth)) + skip)^2.
pub fn nextretry(birth: Timestamp, now: Timestamp, chan: Channel) -> Timestamp {
    let age = if birth > now {
        0
    } else {
        now.saturating_sub(birth)
    };
    let n = isqrt(age).saturating_add(chan.skip());
    birth.saturating_add(n.saturating_mul(n))
}

fn isqrt(x: i64) -> i64 {
    if x <= 0 {
        return 0;
    }
    // Float estimate, then corrected so that r*r <= x < (r+1)^2 exactly.
    let mut r = (x as f64).sqrt() as i64;
    while r > 0 && r.saturating_mul(r) > x {
        r -= 1;
    }
    while (r + 1).saturating_mul(r + 1) <= x {
        r += 1;
    }
    r
}

fn min_due(q: &PrioQ) -> Option<Timestamp> {
    q.peek().map(|Reverse((t, _))| *t)
}

impl Sched {
    /// `conc` = effective concurrency per channel (control value capped by the spawn's
    /// limit); `lifetime` = queuelifetime.
    pub fn new(conc: [usize; 2], lifetime: Timestamp) -> Sched {
        let numjobs = conc[0].saturating_add(conc[1]);
        Sched {
            conc,
            used: [0, 0],
            lifetime,
            pq: [PrioQ::new(), PrioQ::new()],
            done: PrioQ::new(),
            fail: PrioQ::new(),
            jobs: (0..numjobs).map(|_| Job::default()).collect(),
            pass: [None, None],
            dels: [
                (0..conc[0]).map(|_| None).collect(),
                (0..conc[1]).map(|_| None).collect(),
            ],
            spawn_alive: [true, true],
            cmd_pending: [false, false],
            next_delid: 1,
            exitasap: false,
        }
    }

    pub fn insert(&mut self, chan: Channel, msg: MsgId, due: Timestamp) {
        self.pq[chan.idx()].push(Reverse((due, msg)));
    }
    pub fn insert_done(&mut self, msg: MsgId, due: Timestamp) {
        self.done.push(Reverse((due, msg)));
    }
    pub fn insert_fail(&mut self, msg: MsgId, due: Timestamp) {
        self.fail.push(Reverse((due, msg)));
    }

    pub fn status(&self) -> Vec<u8> {
        log::status(self.used, self.conc, self.exitasap)
    }

    pub fn exit_asap(&mut self) {
        self.exitasap = true;
    }
    pub fn exiting(&self) -> bool {
        self.exitasap
    }

    /// qmail-send may exit: TERM was received and no live spawn has a delivery running.
    pub fn can_exit(&self) -> bool {
        self.exitasap
            && CHANNELS
                .iter()
                .all(|c| !self.spawn_alive[c.idx()] || self.used[c.idx()] == 0)
    }

    /// SIGALRM: everything queued on a channel is due now.
    pub fn alarm(&mut self, now: Timestamp) {
        for q in &mut self.pq {
            let ids: Vec<MsgId> = q.drain().map(|Reverse((_, id))| id).collect();
            q.extend(ids.into_iter().map(|id| Reverse((now, id))));
        }
    }

    /// The channel queue's entries, for saving the schedule in channel-file mtimes at exit.
    pub fn queued(&self, chan: Channel) -> Vec<(MsgId, Timestamp)> {
        self.pq[chan.idx()]
            .iter()
            .map(|Reverse((t, id))| (*id, *t))
            .collect()
    }

    /// The spawn's pipe broke or hit EOF.
    pub fn spawn_died(&mut self, chan: Channel) -> Vec<Action> {
        self.spawn_alive[chan.idx()] = false;
        self.exitasap = true;
        vec![Action::Log(log::alert(
            "oh no! lost spawn connection! dying...",
        ))]
    }

    pub fn spawn_alive(&self, chan: Channel) -> bool {
        self.spawn_alive[chan.idx()]
    }

    /// The last command for `chan` has been written completely.
    pub fn command_sent(&mut self, chan: Channel) {
        self.cmd_pending[chan.idx()] = false;
    }

    fn job_avail(&self) -> Option<usize> {
        self.jobs.iter().position(|j| j.refs == 0)
    }

    fn del_avail(&self, chan: Channel) -> bool {
        let c = chan.idx();
        self.spawn_alive[c] && !self.cmd_pending[c] && self.used[c] < self.conc[c]
    }

    /// The earliest time something becomes due (`now` if work can be done at once).
    pub fn wakeup(&self, now: Timestamp) -> Option<Timestamp> {
        let mut w: Option<Timestamp> = None;
        let mut consider = |t: Option<Timestamp>| {
            if let Some(t) = t {
                w = Some(w.map_or(t, |x| x.min(t)));
            }
        };
        if !self.exitasap {
            for c in CHANNELS {
                if self.pass[c.idx()].as_ref().is_some_and(|p| p.ready) && self.del_avail(c) {
                    return Some(now);
                }
            }
            if self.job_avail().is_some() {
                for c in CHANNELS {
                    if self.pass[c.idx()].is_none() {
                        consider(min_due(&self.pq[c.idx()]));
                    }
                }
            }
        }
        consider(min_due(&self.fail));
        consider(min_due(&self.done));
        w
    }

    /// One round of the main loop's scheduling work (qmail's pass_do).
    pub fn poll(&mut self, now: Timestamp) -> Vec<Action> {
        let mut acts = Vec::new();
        if !self.exitasap {
            for chan in CHANNELS {
                self.pass_dochan(chan, now, &mut acts);
            }
        }
        if min_due(&self.fail).is_some_and(|t| t <= now) {
            if let Some(Reverse((_, id))) = self.fail.pop() {
                acts.push(Action::Requeue { msg: id });
            }
        }
        if min_due(&self.done).is_some_and(|t| t <= now) {
            if let Some(Reverse((_, id))) = self.done.pop() {
                acts.push(Action::MessDone { msg: id });
            }
        }
        acts
    }

    fn pass_dochan(&mut self, chan: Channel, now: Timestamp, acts: &mut Vec<Action>) {
        let c = chan.idx();
        match &self.pass[c] {
            None => {
                let Some(j) = self.job_avail() else { return };
                if !min_due(&self.pq[c]).is_some_and(|t| t <= now) {
                    return;
                }
                let Some(Reverse((_, id))) = self.pq[c].pop() else {
                    return;
                };
                if let Some(job) = self.jobs.get_mut(j) {
                    *job = Job {
                        id,
                        chan: Some(chan),
                        refs: 1,
                        ..Job::default()
                    };
                }
                self.pass[c] = Some(Pass {
                    id,
                    job: j,
                    mpos: 0,
                    ready: false,
                });
                acts.push(Action::OpenPass { chan, msg: id });
            }
            Some(p) if p.ready && self.del_avail(chan) => acts.push(Action::ReadRecord { chan }),
            Some(_) => {}
        }
    }

    /// The pass's file is open and its info read: `sender` and `birth` (info's mtime).
    pub fn pass_opened(
        &mut self,
        chan: Channel,
        sender: Vec<u8>,
        birth: Timestamp,
        now: Timestamp,
    ) {
        let Some(p) = self.pass[chan.idx()].as_mut() else {
            return;
        };
        p.ready = true;
        if let Some(job) = self.jobs.get_mut(p.job) {
            job.retry = nextretry(birth, now, chan);
            job.dying = now > birth.saturating_add(self.lifetime);
            job.sender = sender;
        }
    }

    /// The channel file or the info could not be read: try again later.
    pub fn pass_failed(&mut self, chan: Channel, now: Timestamp) -> Vec<Action> {
        let Some(p) = self.pass[chan.idx()].take() else {
            return Vec::new();
        };
        if let Some(job) = self.jobs.get_mut(p.job) {
            job.refs = 0;
        }
        self.insert(chan, p.id, now.saturating_add(SLEEP_SYSFAIL));
        vec![Action::Log(log::warn_fn(
            "trouble opening ",
            &chan.path(p.id),
            "; will try again later",
        ))]
    }

    /// The record `ReadRecord` produced.
    pub fn on_record(&mut self, chan: Channel, rec: Record, now: Timestamp) -> Vec<Action> {
        let c = chan.idx();
        let mut acts = Vec::new();
        let Some(p) = self.pass[c].as_mut() else {
            return acts;
        };
        let (id, j, mpos) = (p.id, p.job, p.mpos);
        let end = |acts: &mut Vec<Action>, warn: Option<Vec<u8>>| {
            if let Some(w) = warn {
                acts.push(Action::Log(w));
            }
            acts.push(Action::ClosePass { chan });
        };
        match rec {
            Record::Todo(addr) => {
                p.mpos = mpos.saturating_add(addr.len() as u64).saturating_add(2);
                if let Some(job) = self.jobs.get_mut(j) {
                    job.numtodo = job.numtodo.saturating_add(1);
                }
                self.del_start(chan, j, mpos, addr, &mut acts);
                return acts;
            }
            Record::Done(len) => {
                p.mpos = mpos.saturating_add(len);
                return acts;
            }
            Record::Eof => {
                end(&mut acts, None);
                if let Some(job) = self.jobs.get_mut(j) {
                    job.hiteof = true;
                }
            }
            Record::ReadError => end(
                &mut acts,
                Some(log::warn_fn(
                    "trouble reading ",
                    &chan.path(id),
                    "; will try again later",
                )),
            ),
            Record::Unknown => end(
                &mut acts,
                Some(log::warn_fn("unknown record type in ", &chan.path(id), "!")),
            ),
        }
        self.pass[c] = None;
        self.job_close(j, &mut acts);
        let _ = now;
        acts
    }

    fn del_start(
        &mut self,
        chan: Channel,
        j: usize,
        mpos: u64,
        recip: Vec<u8>,
        acts: &mut Vec<Action>,
    ) {
        let c = chan.idx();
        if !self.del_avail(chan) {
            return;
        }
        let Some(slot) = self.dels[c].iter().position(Option::is_none) else {
            return;
        };
        let Some(job) = self.jobs.get_mut(j) else {
            return;
        };
        job.refs = job.refs.saturating_add(1);
        let delid = self.next_delid;
        self.next_delid = self.next_delid.saturating_add(1);
        let bytes = verp::command(slot, job.id, &job.sender, &recip);
        acts.push(Action::Command { chan, bytes });
        acts.push(Action::Log(log::starting(delid, job.id, chan, &recip)));
        if let Some(d) = self.dels[c].get_mut(slot) {
            *d = Some(Del {
                job: j,
                delid,
                mpos,
                recip,
            });
        }
        self.used[c] = self.used[c].saturating_add(1);
        self.cmd_pending[c] = true;
        acts.push(Action::Log(self.status()));
    }

    fn job_close(&mut self, j: usize, acts: &mut Vec<Action>) {
        let Some(job) = self.jobs.get_mut(j) else {
            return;
        };
        job.refs = job.refs.saturating_sub(1);
        if job.refs > 0 {
            return;
        }
        let Some(chan) = job.chan else { return };
        if job.hiteof && job.numtodo == 0 {
            acts.push(Action::FinishChannel { msg: job.id, chan });
        } else {
            let (retry, id) = (job.retry, job.id);
            self.insert(chan, id, retry);
        }
    }

    /// A complete report from the spawn of `chan`: delnum byte, letter, text (the
    /// terminating NUL may be present or cut off by the length limit).
    pub fn on_report(&mut self, chan: Channel, report: &[u8]) -> Vec<Action> {
        let c = chan.idx();
        let mut acts = Vec::new();
        let slot = usize::from(report.first().copied().unwrap_or(0));
        let Some(del) = self.dels[c].get_mut(slot).and_then(Option::take) else {
            acts.push(Action::Log(log::warning(
                "internal error: delivery report out of range",
            )));
            return acts;
        };
        let mut letter = report.get(1).copied().unwrap_or(0);
        let mut text = report.get(2..).unwrap_or(&[]).to_vec();
        if text.last() == Some(&0) {
            text.pop();
        }
        let Some(job) = self.jobs.get_mut(del.job) else {
            return acts;
        };
        if letter == b'Z' && job.dying {
            letter = b'D';
            text.extend_from_slice(TOO_LONG);
        }
        match letter {
            b'K' => {
                acts.push(Action::Log(log::success(del.delid, &text)));
                acts.push(Action::MarkDone {
                    msg: job.id,
                    chan,
                    offset: del.mpos,
                });
                job.numtodo = job.numtodo.saturating_sub(1);
            }
            b'Z' => acts.push(Action::Log(log::deferral(del.delid, &text))),
            b'D' => {
                acts.push(Action::Log(log::failure(del.delid, &text)));
                acts.push(Action::AddBounce {
                    msg: job.id,
                    recip: del.recip,
                    text,
                });
                acts.push(Action::MarkDone {
                    msg: job.id,
                    chan,
                    offset: del.mpos,
                });
                job.numtodo = job.numtodo.saturating_sub(1);
            }
            _ => acts.push(Action::Log(log::mangled(del.delid))),
        }
        self.job_close(del.job, &mut acts);
        self.used[c] = self.used[c].saturating_sub(1);
        acts.push(Action::Log(self.status()));
        acts
    }
}

#[cfg(test)]
mod tests;
