//! The cleanup phase: a slow sweep of mess/ for the leftovers of a qmail-queue that died
//! (a message file nothing refers to, untouched for OSSIFIED seconds).
use std::os::unix::fs::MetadataExt;

use qmail_core::queue::{names, Dir, OSSIFIED};

use crate::queue;
use crate::scan::SubdirWalk;
use crate::sched::Timestamp;
use crate::shared::Shared;

/// Sweep mess/ for leftovers this often.
pub const SLEEP_CLEANUP: Timestamp = 76431;

pub struct CleanupPhase {
    walk: Option<SubdirWalk>,
    next: Timestamp,
}

impl CleanupPhase {
    /// A sweep is due at once.
    pub fn new(n: Timestamp) -> CleanupPhase {
        CleanupPhase {
            walk: None,
            next: n,
        }
    }

    /// When the sweep wants to run next (0: now, it is under way).
    pub fn wakeup(&self) -> Timestamp {
        if self.walk.is_some() {
            0
        } else {
            self.next
        }
    }

    /// One step of the sweep of mess/: remove a leftover of a qmail-queue that died.
    pub fn step(&mut self, sh: &mut Shared, n: Timestamp) {
        if sh.sched.exiting() {
            return;
        }
        let walk = match self.walk.as_mut() {
            Some(w) => w,
            None => {
                if n < self.next {
                    return;
                }
                self.walk.insert(SubdirWalk::new(Dir::Mess))
            }
        };
        let id = match walk.next_id() {
            Ok(Some(id)) => id,
            Ok(None) => {
                self.walk = None;
                self.next = n.saturating_add(SLEEP_CLEANUP);
                return;
            }
            Err(_) => {
                self.walk = None;
                sh.pausedir(Dir::Mess.name());
                return;
            }
        };
        let Ok(m) = std::fs::metadata(Dir::Mess.path(id)) else {
            return;
        };
        if n <= m.atime().saturating_add(OSSIFIED) {
            return;
        }
        for p in [Dir::Info.path(id), Dir::Todo.path(id)] {
            match std::fs::metadata(&p) {
                Err(e) if queue::is_noent(&e) => {}
                _ => return,
            }
        }
        sh.clean_warn(&names::foop(id));
    }
}
