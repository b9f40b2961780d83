//! The todo phase: turn todo/<id> into info, local and remote files, one
//! entry per main-loop iteration. Every step can be redone from scratch: a failure leaves
//! todo/<id> for the next scan.
use std::fs::{File, OpenOptions, ReadDir};
use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::OpenOptionsExt;

use qmail_core::queue::records::{self, TodoRec};
use qmail_core::queue::{self, Dir};

use crate::chan::{Channel, PerChannel, CHANNELS};
use crate::log;
use crate::sched::Timestamp;
use crate::shared::Shared;

fn excl(path: &str) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(path)
}

fn unlink_noent(path: &str) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Rescan todo/ at least this often even without a trigger.
pub const SLEEP_TODO: Timestamp = 1500;

/// The todo phase's state: the scan of todo/ under way, when the next one is due, and
/// the trigger FIFO that starts one early.
pub struct TodoPhase {
    dir: Option<ReadDir>,
    next: Timestamp,
    trigger: Option<(File, File)>,
}

impl TodoPhase {
    /// A scan is due at once.
    pub fn new(n: Timestamp) -> TodoPhase {
        let mut t = TodoPhase {
            dir: None,
            next: n,
            trigger: None,
        };
        t.trigger_reset();
        t
    }

    pub fn scanning(&self) -> bool {
        self.dir.is_some()
    }

    /// When the todo phase wants to run next (0: now, a scan is under way).
    pub fn wakeup(&self) -> Timestamp {
        if self.scanning() {
            0
        } else {
            self.next
        }
    }

    /// The trigger's read end, to poll while no scan is under way.
    pub fn trigger_fd(&self) -> Option<BorrowedFd<'_>> {
        self.trigger.as_ref().map(|(r, _)| r.as_fd())
    }

    /// Close and reopen the trigger FIFO: pending wake-up bytes are discarded.
    fn trigger_reset(&mut self) {
        self.trigger = None;
        self.trigger = crate::trigger::open();
    }

    /// One step of the todo scan; a scan starts on the trigger or every SLEEP_TODO.
    pub fn step(&mut self, sh: &mut Shared, triggered: bool, n: Timestamp) {
        if sh.sched.exiting() {
            return;
        }
        if self.dir.is_none() {
            if !triggered && n < self.next {
                return;
            }
            self.trigger_reset();
            match std::fs::read_dir(Dir::Todo.name()) {
                Ok(d) => self.dir = Some(d),
                Err(_) => {
                    sh.pausedir(Dir::Todo.name());
                    return;
                }
            }
            self.next = n.saturating_add(SLEEP_TODO);
        }
        let next = self.dir.as_mut().and_then(Iterator::next);
        let Some(entry) = next else {
            self.dir = None;
            return;
        };
        let Ok(entry) = entry else { return };
        if let Some(id) = queue::parse_id(entry.file_name().as_encoded_bytes()) {
            todo_one(sh, id);
        }
    }
}

/// Preprocess todo/<id>.
fn todo_one(sh: &mut Shared, id: u64) {
    let todo = Dir::Todo.path(id);
    let Ok(data) = std::fs::read(&todo) else {
        sh.log(&log::warn_fn("unable to open ", &todo, ""));
        return;
    };
    let mess = Dir::Mess.path(id);
    let size = match std::fs::metadata(&mess) {
        Ok(m) => m.len(),
        Err(_) => {
            sh.log(&log::warn_fn("unable to stat ", &mess, ""));
            return;
        }
    };
    for p in [
        Channel::Local.path(id),
        Channel::Remote.path(id),
        Dir::Info.path(id),
    ] {
        if unlink_noent(&p).is_err() {
            sh.log(&log::warn_fn("unable to unlink ", &p, ""));
            return;
        }
    }
    let info_path = Dir::Info.path(id);
    let Ok(mut info) = excl(&info_path) else {
        sh.log(&log::warn_fn("unable to create ", &info_path, ""));
        return;
    };
    sh.log(&log::new_msg(id));
    let Some(recs) = records::parse_todo(&data) else {
        sh.log(&log::warn_fn("unknown record type in ", &todo, ""));
        return;
    };
    let (mut uid, mut pid): (&[u8], &[u8]) = (b"", b"");
    let mut chanbuf: PerChannel<Option<Vec<u8>>> = PerChannel::default();
    for r in recs {
        match r {
            TodoRec::Uid(u) => uid = u,
            TodoRec::Pid(p) => pid = p,
            TodoRec::From(f) => {
                if info.write_all(&records::encode_info(f)).is_err() {
                    sh.log(&log::warn_fn("trouble writing to ", &info_path, ""));
                    return;
                }
                let line = log::info_msg(id, size, f, &log::logsafe(pid), &log::logsafe(uid));
                sh.log(&line);
            }
            TodoRec::To(t) => {
                let (c, addr) = sh.ctl.rewrite.rewrite(t);
                let c = crate::rewrite::channel(c);
                records::encode_chan(&addr, chanbuf[c].get_or_insert_with(Vec::new));
            }
        }
    }
    if info.sync_all().is_err() {
        sh.log(&log::warn_fn("trouble fsyncing ", &info_path, ""));
        return;
    }
    drop(info);
    for c in CHANNELS {
        let Some(buf) = &chanbuf[c] else {
            continue;
        };
        let path = c.path(id);
        let Ok(mut f) = excl(&path) else {
            sh.log(&log::warn_fn("unable to create ", &path, ""));
            return;
        };
        if f.write_all(buf).is_err() {
            sh.log(&log::warn_fn("trouble writing to ", &path, ""));
            return;
        }
        if f.sync_all().is_err() {
            sh.log(&log::warn_fn("trouble fsyncing ", &path, ""));
            return;
        }
    }
    if !sh.clean_warn(&todo) {
        return;
    }
    let n = crate::daemon::now();
    for c in CHANNELS {
        if chanbuf[c].is_some() {
            sh.sched.insert(c, id, n);
        }
    }
    if chanbuf.iter().all(Option::is_none) {
        sh.sched.insert_done(id, n);
    }
}
