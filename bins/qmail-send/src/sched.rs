//! The scheduler core: priority queues per channel, jobs and passes, delivery slots, the
//! retry schedule, queuelifetime and the handling of K/Z/D reports. It makes no
//! I/O calls: each method returns the `Action`s that `main` carries out, and `main` feeds
//! back what it read (a pass's info, the next recipient record, a report).
use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::chan::{Channel, PerChannel, CHANNELS};
use crate::log;

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
    /// A delivery of the record at `offset` of `msg`'s channel file has started: note it
    /// where a qmail-send started after a crash finds it.
    Began {
        chan: Channel,
        msg: MsgId,
        offset: u64,
    },
    /// That delivery has reported (whatever the outcome).
    Ended {
        chan: Channel,
        msg: MsgId,
        offset: u64,
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
    conc: PerChannel<usize>,
    used: PerChannel<usize>,
    lifetime: Timestamp,
    pq: PerChannel<PrioQ>,
    done: PrioQ,
    fail: PrioQ,
    jobs: Vec<Job>,
    pass: PerChannel<Option<Pass>>,
    dels: PerChannel<Vec<Option<Del>>>,
    spawn_alive: PerChannel<bool>,
    cmd_pending: PerChannel<bool>,
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
    pub fn new(conc: PerChannel<usize>, lifetime: Timestamp) -> Sched {
        let numjobs = conc.local.saturating_add(conc.remote);
        Sched {
            conc,
            used: PerChannel::default(),
            lifetime,
            pq: PerChannel::default(),
            done: PrioQ::new(),
            fail: PrioQ::new(),
            jobs: (0..numjobs).map(|_| Job::default()).collect(),
            pass: PerChannel::default(),
            dels: PerChannel::from_fn(|c| (0..conc[c]).map(|_| None).collect()),
            spawn_alive: PerChannel::new(true, true),
            cmd_pending: PerChannel::default(),
            next_delid: 1,
            exitasap: false,
        }
    }

    pub fn insert(&mut self, chan: Channel, msg: MsgId, due: Timestamp) {
        self.pq[chan].push(Reverse((due, msg)));
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
                .all(|&c| !self.spawn_alive[c] || self.used[c] == 0)
    }

    /// SIGALRM: everything queued on a channel is due now.
    pub fn alarm(&mut self, now: Timestamp) {
        for q in self.pq.iter_mut() {
            let ids: Vec<MsgId> = q.drain().map(|Reverse((_, id))| id).collect();
            q.extend(ids.into_iter().map(|id| Reverse((now, id))));
        }
    }

    /// The channel queue's entries, for saving the schedule in channel-file mtimes at exit.
    pub fn queued(&self, chan: Channel) -> Vec<(MsgId, Timestamp)> {
        self.pq[chan]
            .iter()
            .map(|Reverse((t, id))| (*id, *t))
            .collect()
    }

    /// The spawn's pipe broke or hit EOF.
    pub fn spawn_died(&mut self, chan: Channel) -> Vec<Action> {
        self.spawn_alive[chan] = false;
        self.exitasap = true;
        vec![Action::Log(log::alert(
            "oh no! lost spawn connection! dying...",
        ))]
    }

    pub fn spawn_alive(&self, chan: Channel) -> bool {
        self.spawn_alive[chan]
    }

    /// The last command for `chan` has been written completely.
    pub fn command_sent(&mut self, chan: Channel) {
        self.cmd_pending[chan] = false;
    }

    fn job_avail(&self) -> Option<usize> {
        self.jobs.iter().position(|j| j.refs == 0)
    }

    fn del_avail(&self, chan: Channel) -> bool {
        let c = chan;
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
                if self.pass[c].as_ref().is_some_and(|p| p.ready) && self.del_avail(c) {
                    return Some(now);
                }
            }
            if self.job_avail().is_some() {
                for c in CHANNELS {
                    if self.pass[c].is_none() {
                        consider(min_due(&self.pq[c]));
                    }
                }
            }
        }
        consider(min_due(&self.fail));
        consider(min_due(&self.done));
        w
    }

    /// One round of the main loop's scheduling work (qmail's pass_do): one pass step per
    /// channel, then at most one message each from the fail and done queues.
    pub fn poll(&mut self, now: Timestamp) -> Vec<Action> {
        let mut acts = self.pass_do(now);
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

    /// One more pass step per channel within the same round: the main loop repeats this
    /// (carrying out the actions in between) while it returns something, so a pass starts
    /// a delivery for every free slot in one round instead of one per round. It is empty
    /// as soon as no channel can move: no free slot, a command still unwritten (so the
    /// spawn is never sent more than one command ahead), no due message or no free job.
    pub fn pass_do(&mut self, now: Timestamp) -> Vec<Action> {
        let mut acts = Vec::new();
        if !self.exitasap {
            for chan in CHANNELS {
                self.pass_dochan(chan, now, &mut acts);
            }
        }
        acts
    }

    /// An upper bound on the pass steps of one round, so the main loop still polls
    /// regularly: enough to open, read and close a one-recipient message for every
    /// slot of the larger channel (done records may need more steps; they get the next
    /// round).
    pub fn round_steps(&self) -> usize {
        let most = self.conc.iter().copied().max().unwrap_or(0);
        most.saturating_mul(3).saturating_add(3)
    }
}

mod del;
mod pass;
#[cfg(test)]
mod tests;
