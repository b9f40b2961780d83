//! Passes: reading a message's channel file one recipient at a time, as delivery slots
//! become free.
use std::cmp::Reverse;

use super::{min_due, nextretry, Action, Job, Pass, Record, Sched, Timestamp, SLEEP_SYSFAIL};
use crate::chan::Channel;
use crate::log;

impl Sched {
    pub(super) fn pass_dochan(&mut self, chan: Channel, now: Timestamp, acts: &mut Vec<Action>) {
        let c = chan;
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
        let Some(p) = self.pass[chan].as_mut() else {
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
        let Some(p) = self.pass[chan].take() else {
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
        let c = chan;
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
}
