//! Deliveries of the scheduler: starting one for a recipient, the K/Z/D reports, and
//! closing a job once the last of its deliveries has reported.
use super::{Action, Del, Sched, TOO_LONG};
use crate::chan::Channel;
use crate::{log, verp};

impl Sched {
    pub(super) fn del_start(
        &mut self,
        chan: Channel,
        j: usize,
        mpos: u64,
        recip: Vec<u8>,
        acts: &mut Vec<Action>,
    ) {
        let c = chan;
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
        acts.push(Action::Began {
            chan,
            msg: job.id,
            offset: mpos,
        });
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

    pub(super) fn job_close(&mut self, j: usize, acts: &mut Vec<Action>) {
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
        let c = chan;
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
        // after MarkDone: a crash in between still finds the delivery under way
        acts.push(Action::Ended {
            chan,
            msg: job.id,
            offset: del.mpos,
        });
        self.job_close(del.job, &mut acts);
        self.used[c] = self.used[c].saturating_sub(1);
        acts.push(Action::Log(self.status()));
        acts
    }
}
