//! Putting messages back on the scheduler's queues: at start (every preprocessed message),
//! after a stat failure, and saving each queued message's next attempt at exit.
use std::os::unix::fs::MetadataExt;

use qmail_core::queue::Dir;

use crate::chan::{PerChannel, CHANNELS};
use crate::daemon::now;
use crate::log;
use crate::queue;
use crate::scan::SubdirWalk;
use crate::sched::SLEEP_SYSFAIL;
use crate::shared::Shared;

/// Put a message back on the channel queues by the mtimes of its channel files.
pub fn pqadd(sh: &mut Shared, id: u64) {
    let mut due = PerChannel::default();
    for c in CHANNELS {
        let path = c.path(id);
        match std::fs::metadata(&path) {
            Ok(m) => due[c] = Some(m.mtime()),
            Err(e) if queue::is_noent(&e) => {}
            Err(_) => {
                sh.log(&log::warn_fn(
                    "unable to stat ",
                    &path,
                    "; will try again later",
                ));
                sh.sched
                    .insert_fail(id, now().saturating_add(SLEEP_SYSFAIL));
                return;
            }
        }
    }
    for c in CHANNELS {
        if let Some(t) = due[c] {
            sh.sched.insert(c, id, t);
        }
    }
    if due.iter().all(Option::is_none) {
        sh.sched.insert_done(id, now());
    }
}

/// At start: every preprocessed message (info/ without todo/) goes back on the queues.
pub fn pqstart(sh: &mut Shared) {
    let mut walk = SubdirWalk::new(Dir::Info);
    loop {
        match walk.next_id() {
            Ok(Some(id)) => {
                if std::fs::metadata(Dir::Todo.path(id)).is_err() {
                    pqadd(sh, id);
                }
            }
            Ok(None) => return,
            Err(_) => {
                sh.pausedir(Dir::Info.name());
                walk = SubdirWalk::new(Dir::Info);
            }
        }
    }
}

/// At exit: keep each queued message's next attempt time in its channel file's mtime.
pub fn pqfinish(sh: &mut Shared) {
    for c in CHANNELS {
        for (id, due) in sh.sched.queued(c) {
            let path = c.path(id);
            let t = nix::sys::time::TimeSpec::new(due, 0);
            if nix::sys::stat::utimensat(
                None,
                path.as_str(),
                &t,
                &t,
                nix::sys::stat::UtimensatFlags::FollowSymlink,
            )
            .is_err()
            {
                sh.log(&log::warn_fn(
                    "unable to utime ",
                    &path,
                    "; message will be retried too soon",
                ));
            }
        }
    }
}
