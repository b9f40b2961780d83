//! The pass phase's files: the channel file of the message each channel is passing over,
//! read one record per scheduler request.
use std::fs::File;
use std::io::BufReader;

use crate::chan::{Channel, PerChannel};
use crate::sched::{Action, MsgId, Record, Timestamp};
use crate::shared::Shared;
use crate::{queue, records};

#[derive(Default)]
pub struct PassPhase {
    files: PerChannel<Option<BufReader<File>>>,
}

impl PassPhase {
    /// Start a pass over `msg`'s file of `chan`.
    pub fn open(
        &mut self,
        sh: &mut Shared,
        chan: Channel,
        msg: MsgId,
        n: Timestamp,
    ) -> Vec<Action> {
        match queue::open_pass(chan, msg) {
            Some((file, sender, birth)) => {
                self.files[chan] = Some(BufReader::new(file));
                sh.sched.pass_opened(chan, sender, birth, n);
                Vec::new()
            }
            None => sh.sched.pass_failed(chan, n),
        }
    }

    /// Hand the scheduler the pass's next record.
    pub fn read(&mut self, sh: &mut Shared, chan: Channel, n: Timestamp) -> Vec<Action> {
        let rec = match self.files[chan].as_mut() {
            Some(r) => records::next_record(r),
            None => Record::ReadError,
        };
        sh.sched.on_record(chan, rec, n)
    }

    pub fn close(&mut self, chan: Channel) {
        self.files[chan] = None;
    }
}
