//! Queue file operations of qmail-send that are not the todo phase: passes, marking
//! records done, bounce paragraphs, finishing channels and messages, the start-up scan of
//! info/, saving the schedule at exit, and the sweep of mess/.
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};

use qmail_core::queue::{self, records, Dir};

use crate::chan::{Channel, CHANNELS};
use crate::daemon::{now, Daemon, SLEEP_CLEANUP};
use crate::log;
use crate::scan::SubdirWalk;
use crate::sched::{Timestamp, SLEEP_SYSFAIL};

pub use qmail_core::queue::OSSIFIED;

pub fn open_read(path: &str) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc_nonblock())
        .open(path)
}

fn libc_nonblock() -> i32 {
    nix::fcntl::OFlag::O_NONBLOCK.bits()
}

fn is_noent(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound
}

/// The sender and birth (mtime) of a message, from info/N/id.
pub fn getinfo(id: u64) -> Option<(Vec<u8>, Timestamp)> {
    let f = open_read(&Dir::Info.path(id)).ok()?;
    let birth = f.metadata().ok()?.mtime();
    let mut data = Vec::new();
    io::Read::read_to_end(&mut io::Read::take(&f, 4096), &mut data).ok()?;
    Some((records::decode_info(&data)?.to_vec(), birth))
}

/// Open a pass over `chan`'s file of `id`: the file, sender and birth.
pub fn open_pass(chan: Channel, id: u64) -> Option<(File, Vec<u8>, Timestamp)> {
    let f = open_read(&chan.path(id)).ok()?;
    let (sender, birth) = getinfo(id)?;
    Some((f, sender, birth))
}

/// Overwrite the record at `offset` with `D`.
pub fn markdone(chan: Channel, id: u64, offset: u64) -> bool {
    let Ok(f) = OpenOptions::new()
        .write(true)
        .custom_flags(libc_nonblock())
        .open(chan.path(id))
    else {
        return false;
    };
    f.metadata().is_ok() && matches!(f.write_at(&[records::DONE], offset), Ok(1))
}

impl Daemon {
    pub fn pausedir(&mut self, dir: &str) {
        self.log(&log::alert(&format!(
            "unable to opendir {dir}, sleeping..."
        )));
        std::thread::sleep(std::time::Duration::from_secs(10));
    }

    /// One request to qmail-clean; `None` if the connection is lost.
    pub fn clean(&mut self, req: &str) -> Option<u8> {
        if !self.clean_alive {
            return None;
        }
        let mut b = [0u8; 1];
        let ok = self
            .clean_w
            .write_all(format!("{req}\0").as_bytes())
            .is_ok()
            && io::Read::read_exact(&mut self.clean_r, &mut b).is_ok();
        if ok {
            return Some(b[0]);
        }
        self.log(&log::alert("oh no! lost qmail-clean connection! dying..."));
        self.clean_alive = false;
        self.sched.exit_asap();
        None
    }

    /// Ask qmail-clean; warn unless it answers `+`. Returns whether it did.
    pub fn clean_warn(&mut self, req: &str) -> bool {
        match self.clean(req) {
            Some(b'+') => true,
            Some(_) => {
                self.log(&log::warn_fn("qmail-clean unable to clean up ", req, ""));
                false
            }
            None => false,
        }
    }

    /// Append a bounce paragraph; blocks (retrying every 10 s) until it is written.
    pub fn addbounce(&mut self, id: u64, text: &[u8]) {
        let path = Dir::Bounce.path(id);
        let mut pos = 0usize;
        loop {
            let f = OpenOptions::new()
                .append(true)
                .create(true)
                .mode(0o600)
                .open(&path);
            let mut f = match f {
                Ok(f) => f,
                Err(_) => {
                    self.help_bounce();
                    continue;
                }
            };
            while pos < text.len() {
                match f.write(text.get(pos..).unwrap_or(&[])) {
                    Ok(n) if n > 0 => pos = pos.saturating_add(n),
                    _ => self.help_bounce(),
                }
            }
            return;
        }
    }

    fn help_bounce(&mut self) {
        self.log(&log::alert(
            "unable to append to bounce message; HELP! sleeping...",
        ));
        std::thread::sleep(std::time::Duration::from_secs(10));
    }

    /// Every recipient of `chan` is done: remove its file; the message is done when the
    /// other channel has no file either.
    pub fn finish_channel(&mut self, chan: Channel, id: u64, n: Timestamp) {
        let path = chan.path(id);
        if std::fs::remove_file(&path).is_err() {
            self.log(&log::warn_fn(
                "unable to unlink ",
                &path,
                "; will try again later",
            ));
            self.sched.insert(chan, id, n.saturating_add(SLEEP_SYSFAIL));
            return;
        }
        let other = chan.other().path(id);
        match std::fs::metadata(&other) {
            Ok(_) => return,
            Err(e) if is_noent(&e) => {}
            Err(_) => self.log(&log::warn_fn("unable to stat ", &other, "")),
        }
        self.sched.insert_done(id, now());
    }

    /// Put a message back on the channel queues by the mtimes of its channel files.
    pub fn pqadd(&mut self, id: u64) {
        let mut due = [None, None];
        for c in CHANNELS {
            let path = c.path(id);
            match std::fs::metadata(&path) {
                Ok(m) => due[c.idx()] = Some(m.mtime()),
                Err(e) if is_noent(&e) => {}
                Err(_) => {
                    self.log(&log::warn_fn(
                        "unable to stat ",
                        &path,
                        "; will try again later",
                    ));
                    self.sched
                        .insert_fail(id, now().saturating_add(SLEEP_SYSFAIL));
                    return;
                }
            }
        }
        for c in CHANNELS {
            if let Some(t) = due[c.idx()] {
                self.sched.insert(c, id, t);
            }
        }
        if due.iter().all(Option::is_none) {
            self.sched.insert_done(id, now());
        }
    }

    /// At start: every preprocessed message (info/ without todo/) goes back on the queues.
    pub fn pqstart(&mut self) {
        let mut walk = SubdirWalk::new(Dir::Info);
        loop {
            match walk.next_id() {
                Ok(Some(id)) => {
                    if std::fs::metadata(Dir::Todo.path(id)).is_err() {
                        self.pqadd(id);
                    }
                }
                Ok(None) => return,
                Err(_) => {
                    self.pausedir(Dir::Info.name());
                    walk = SubdirWalk::new(Dir::Info);
                }
            }
        }
    }

    /// At exit: keep each queued message's next attempt time in its channel file's mtime.
    pub fn pqfinish(&mut self) {
        for c in CHANNELS {
            for (id, due) in self.sched.queued(c) {
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
                    self.log(&log::warn_fn(
                        "unable to utime ",
                        &path,
                        "; message will be retried too soon",
                    ));
                }
            }
        }
    }

    /// One step of the sweep of mess/: remove a leftover of a qmail-queue that died.
    pub fn cleanup_do(&mut self, n: Timestamp) {
        if self.sched.exiting() {
            return;
        }
        let walk = match self.cleanup.walk.as_mut() {
            Some(w) => w,
            None => {
                if n < self.cleanup.next {
                    return;
                }
                self.cleanup.walk.insert(SubdirWalk::new(Dir::Mess))
            }
        };
        let id = match walk.next_id() {
            Ok(Some(id)) => id,
            Ok(None) => {
                self.cleanup.walk = None;
                self.cleanup.next = n.saturating_add(SLEEP_CLEANUP);
                return;
            }
            Err(_) => {
                self.cleanup.walk = None;
                self.pausedir(Dir::Mess.name());
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
                Err(e) if is_noent(&e) => {}
                _ => return,
            }
        }
        self.clean_warn(&queue::names::foop(id));
    }
}
