//! qmail-todo's loop: scan todo/ on qmail-queue's trigger (and every SLEEP_TODO seconds),
//! preprocess the new messages in batches, report them to qmail-send and wait, at most
//! MAX_INFLIGHT reports ahead, for qmail-send's answers. An id reported and not yet
//! answered is left alone when a scan meets it again.
use std::collections::HashSet;
use std::fs::{File, ReadDir};
use std::os::fd::AsFd;

use nix::poll::{PollFd, PollFlags, PollTimeout};
use qmail_core::queue::todopipe::{Cmd, MAX_INFLIGHT};
use qmail_core::queue::{self, Dir};
use qmail_core::sendlog;

use crate::conn::{Conn, Heard};
use crate::{todo, Shared};

/// Rescan todo/ at least this often even without a trigger (seconds).
const SLEEP_TODO: i64 = 1500;
/// Messages written before one round of fsyncs: enough to share journal commits, few
/// enough that the first of them is not kept waiting long (and 3 descriptors each).
const BATCH: usize = 16;

pub struct Loop {
    conn: Conn,
    dir: Option<ReadDir>,
    next: i64,
    trigger: Option<(File, File)>,
    inflight: HashSet<u64>,
}

fn now() -> i64 {
    qmail_core::date822::now()
}

impl Loop {
    pub fn new(conn: Conn) -> Loop {
        Loop {
            conn,
            dir: None,
            next: now(),
            trigger: trigger_open(),
            inflight: HashSet::new(),
        }
    }

    /// Until qmail-send closes the pipe (or can no longer be told).
    pub fn run(&mut self, sh: &mut Shared) {
        loop {
            let busy = self.dir.is_some() && self.inflight.len() < MAX_INFLIGHT;
            let (heard, triggered) = self.wait(busy);
            match heard {
                Heard::Gone => return,
                Heard::Cmds(cmds) => {
                    for c in cmds {
                        match c {
                            Cmd::Ack(id) => {
                                self.inflight.remove(&id);
                            }
                            Cmd::Reread => sh.reread(),
                        }
                    }
                }
            }
            if self.dir.is_none() && (triggered || now() >= self.next) {
                self.start_scan(sh);
            }
            if self.inflight.len() < MAX_INFLIGHT && !self.step(sh) {
                return;
            }
        }
    }

    /// Poll the command pipe, and the trigger while no scan is under way. Without work
    /// to do, sleep until the next scan is due.
    fn wait(&mut self, busy: bool) -> (Heard, bool) {
        let mut fds = vec![PollFd::new(self.conn.fd(), PollFlags::POLLIN)];
        let watch = self.dir.is_none();
        if let (true, Some((r, _))) = (watch, self.trigger.as_ref()) {
            fds.push(PollFd::new(r.as_fd(), PollFlags::POLLIN));
        }
        let timeout = if busy {
            PollTimeout::ZERO
        } else if self.dir.is_some() {
            // waiting for answers only
            PollTimeout::NONE
        } else {
            // a scan that is due starts now; a later one a second after it is due
            match self.next.saturating_sub(now()).clamp(0, 86400) {
                0 => PollTimeout::ZERO,
                secs => PollTimeout::try_from(secs.saturating_mul(1000).saturating_add(1000))
                    .unwrap_or(PollTimeout::MAX),
            }
        };
        let triggered = match nix::poll::poll(&mut fds, timeout) {
            Ok(_) => fds
                .get(1)
                .and_then(|f| f.revents())
                .is_some_and(|e| !e.is_empty()),
            Err(_) => false,
        };
        (self.conn.read(), triggered)
    }

    fn start_scan(&mut self, sh: &mut Shared) {
        // Reopen the trigger: pending wake-up bytes are discarded.
        self.trigger = None;
        self.trigger = trigger_open();
        match std::fs::read_dir(Dir::Todo.name()) {
            Ok(d) => self.dir = Some(d),
            Err(_) => {
                sh.log(&sendlog::alert(&format!(
                    "unable to opendir {}, sleeping...",
                    Dir::Todo.name()
                )));
                std::thread::sleep(std::time::Duration::from_secs(10));
                return;
            }
        }
        self.next = now().saturating_add(SLEEP_TODO);
    }

    /// Up to BATCH entries of the scan under way, written, then fsynced together, then
    /// reported; false if qmail-send can no longer be told.
    fn step(&mut self, sh: &mut Shared) -> bool {
        let room = MAX_INFLIGHT.saturating_sub(self.inflight.len()).min(BATCH);
        let mut batch = Vec::new();
        while batch.len() < room {
            let next = self.dir.as_mut().and_then(Iterator::next);
            let Some(entry) = next else {
                self.dir = None;
                break;
            };
            let Ok(entry) = entry else { continue };
            let Some(id) = queue::parse_id(entry.file_name().as_encoded_bytes()) else {
                continue;
            };
            if self.inflight.contains(&id) {
                continue;
            }
            if let Some(w) = todo::prepare(sh, id) {
                batch.push(w);
            }
        }
        for done in todo::flush(sh, batch) {
            self.inflight.insert(done.id);
            if !self.conn.report(done) {
                return false;
            }
        }
        true
    }
}

/// lock/trigger, held open for reading and for writing too, so the last writer closing it
/// does not leave the read end reporting hang-up for ever (the "named pipe bug").
fn trigger_open() -> Option<(File, File)> {
    use std::os::unix::fs::OpenOptionsExt;
    let nb = nix::fcntl::OFlag::O_NONBLOCK.bits();
    let open = |write: bool| {
        std::fs::OpenOptions::new()
            .read(!write)
            .write(write)
            .custom_flags(nb)
            .open(qmail_core::queue::dirs::TRIGGER)
            .ok()
    };
    Some((open(false)?, open(true)?))
}
