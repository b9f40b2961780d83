//! The todo phase: turn todo/<id> into info, local and remote files, one
//! entry per main-loop iteration. Every step can be redone from scratch: a failure leaves
//! todo/<id> for the next scan.
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;

use qmail_core::queue::records::{self, TodoRec};
use qmail_core::queue::{self, Dir};

use crate::chan::{Channel, CHANNELS};
use crate::daemon::{Daemon, SLEEP_TODO};
use crate::log;
use crate::sched::Timestamp;

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

impl Daemon {
    /// One step of the todo scan; a scan starts on the trigger or every SLEEP_TODO.
    pub fn todo_do(&mut self, triggered: bool, n: Timestamp) {
        if self.sched.exiting() {
            return;
        }
        if self.todo.dir.is_none() {
            if !triggered && n < self.todo.next {
                return;
            }
            self.trigger_reset();
            match std::fs::read_dir(Dir::Todo.name()) {
                Ok(d) => self.todo.dir = Some(d),
                Err(_) => {
                    self.pausedir(Dir::Todo.name());
                    return;
                }
            }
            self.todo.next = n.saturating_add(SLEEP_TODO);
        }
        let next = self.todo.dir.as_mut().and_then(Iterator::next);
        let Some(entry) = next else {
            self.todo.dir = None;
            return;
        };
        let Ok(entry) = entry else { return };
        if let Some(id) = queue::parse_id(entry.file_name().as_encoded_bytes()) {
            self.todo_one(id);
        }
    }

    /// Close and reopen the trigger FIFO: pending wake-up bytes are discarded.
    pub fn trigger_reset(&mut self) {
        self.trigger = None;
        self.trigger = crate::trigger::open();
    }

    fn todo_one(&mut self, id: u64) {
        let todo = Dir::Todo.path(id);
        let Ok(data) = std::fs::read(&todo) else {
            self.log(&log::warn_fn("unable to open ", &todo, ""));
            return;
        };
        let mess = Dir::Mess.path(id);
        let size = match std::fs::metadata(&mess) {
            Ok(m) => m.len(),
            Err(_) => {
                self.log(&log::warn_fn("unable to stat ", &mess, ""));
                return;
            }
        };
        for p in [
            Channel::Local.path(id),
            Channel::Remote.path(id),
            Dir::Info.path(id),
        ] {
            if unlink_noent(&p).is_err() {
                self.log(&log::warn_fn("unable to unlink ", &p, ""));
                return;
            }
        }
        let info_path = Dir::Info.path(id);
        let Ok(mut info) = excl(&info_path) else {
            self.log(&log::warn_fn("unable to create ", &info_path, ""));
            return;
        };
        self.log(&log::new_msg(id));
        let Some(recs) = records::parse_todo(&data) else {
            self.log(&log::warn_fn("unknown record type in ", &todo, ""));
            return;
        };
        let (mut uid, mut pid): (&[u8], &[u8]) = (b"", b"");
        let mut chanbuf: [Option<Vec<u8>>; 2] = [None, None];
        for r in recs {
            match r {
                TodoRec::Uid(u) => uid = u,
                TodoRec::Pid(p) => pid = p,
                TodoRec::From(f) => {
                    if info.write_all(&records::encode_info(f)).is_err() {
                        self.log(&log::warn_fn("trouble writing to ", &info_path, ""));
                        return;
                    }
                    let line = log::info_msg(id, size, f, &log::logsafe(pid), &log::logsafe(uid));
                    self.log(&line);
                }
                TodoRec::To(t) => {
                    let (c, addr) = self.ctl.rewrite.rewrite(t);
                    records::encode_chan(&addr, chanbuf[c.idx()].get_or_insert_with(Vec::new));
                }
            }
        }
        if info.sync_all().is_err() {
            self.log(&log::warn_fn("trouble fsyncing ", &info_path, ""));
            return;
        }
        drop(info);
        for c in CHANNELS {
            let Some(buf) = &chanbuf[c.idx()] else {
                continue;
            };
            let path = c.path(id);
            let Ok(mut f) = excl(&path) else {
                self.log(&log::warn_fn("unable to create ", &path, ""));
                return;
            };
            if f.write_all(buf).is_err() {
                self.log(&log::warn_fn("trouble writing to ", &path, ""));
                return;
            }
            if f.sync_all().is_err() {
                self.log(&log::warn_fn("trouble fsyncing ", &path, ""));
                return;
            }
        }
        if !self.clean_warn(&todo) {
            return;
        }
        let n = crate::daemon::now();
        for c in CHANNELS {
            if chanbuf[c.idx()].is_some() {
                self.sched.insert(c, id, n);
            }
        }
        if chanbuf.iter().all(Option::is_none) {
            self.sched.insert_done(id, n);
        }
    }
}
