//! A message under construction: `mess/N/<id>` and later `intd/<id>`. Until `commit`,
//! dropping it truncates and unlinks both, so a failed qmail-queue leaves nothing (state
//! S1), except for the envelope format errors where qmail leaves the files to the 36-hour
//! sweeper (`abandon`).
//!
//! Durability. Linux does not make `link()` durable by itself. We rely on what ext4, xfs
//! and btrfs guarantee: `fsync` of a file commits the journal transaction that last
//! changed its inode, and `link()` changes the inode (its link count) in the same
//! transaction as the new directory entry. So:
//! 1. link pid → mess/N/id, unlink pid, write the message, `fsync(mess)`: the message
//!    bytes and its mess/ entry are on disk;
//! 2. write the envelope into intd/id, link intd → todo/id, `fsync(intd)`: the envelope
//!    bytes and the todo/ entry are on disk.
//!
//! Two fsync calls per message, as many as qmail makes, and unlike qmail's the todo/
//! entry is durable before exit 0. Before the link into todo/ everything qmail-send will
//! read is complete in the page cache (the message synced, the envelope written), so a
//! qmail-send scanning early reads a whole message.
//!
//! The link is the point of no return: qmail-send may see the entry at once, so after it
//! nothing is truncated or unlinked, whatever fails. If step 2's fsync fails, the
//! submitter hears of a failure while a complete message stays queued (a possible
//! duplicate, never a loss and never a queued message with its body taken away); a crash
//! before exit 0 does the same. Only a failure before the link removes the files.
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};

use qmail_core::exit::QueueExit;
use qmail_core::queue::{names, Dir};

const BUF: usize = 64 * 1024;

#[derive(PartialEq, Eq)]
enum State {
    Armed,
    Abandoned,
    Committed,
}

pub struct Uncommitted {
    id: u64,
    mess_path: String,
    mess: BufWriter<File>,
    intd: Option<(String, BufWriter<File>)>,
    state: State,
}

fn create_excl(path: &str) -> std::io::Result<File> {
    File::options()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)
}

impl Uncommitted {
    /// pid/<pid>.<time>.<seq> (first free seq of 1..9), then its link into mess/.
    pub fn create(pid: u32, start: i64) -> Result<Uncommitted, QueueExit> {
        let (pidfn, file) = (1..=9)
            .find_map(|seq| {
                let name = names::pid_file(pid, start, seq);
                create_excl(&name).ok().map(|f| (name, f))
            })
            .ok_or(QueueExit::PidFile)?;
        let id = match file.metadata() {
            Ok(m) => m.ino(),
            Err(_) => {
                let _ = fs::remove_file(&pidfn);
                return Err(QueueExit::PidFile);
            }
        };
        let mess_path = Dir::Mess.path(id);
        if fs::hard_link(&pidfn, &mess_path).is_err() {
            let _ = fs::remove_file(&pidfn);
            return Err(QueueExit::MessFile);
        }
        let q = Uncommitted {
            id,
            mess_path,
            mess: BufWriter::with_capacity(BUF, file),
            intd: None,
            state: State::Armed,
        };
        fs::remove_file(&pidfn).map_err(|_| QueueExit::PidFile)?;
        Ok(q)
    }

    pub fn write_mess(&mut self, b: &[u8]) -> Result<(), QueueExit> {
        self.mess.write_all(b).map_err(|_| QueueExit::WriteErr)
    }

    pub fn sync_mess(&mut self) -> Result<(), QueueExit> {
        self.mess.flush().map_err(|_| QueueExit::WriteErr)?;
        self.mess
            .get_ref()
            .sync_all()
            .map_err(|_| QueueExit::WriteErr)
    }

    pub fn create_intd(&mut self) -> Result<(), QueueExit> {
        let path = Dir::Intd.path(self.id);
        let f = create_excl(&path).map_err(|_| QueueExit::IntdFile)?;
        self.intd = Some((path, BufWriter::with_capacity(BUF, f)));
        Ok(())
    }

    pub fn write_intd(&mut self, b: &[u8]) -> Result<(), QueueExit> {
        let (_, w) = self.intd.as_mut().ok_or(QueueExit::Bug)?;
        w.write_all(b).map_err(|_| QueueExit::WriteErr)
    }

    /// Leave the files where they are (qmail's exits 11 and 91).
    pub fn abandon(&mut self) {
        self.state = State::Abandoned;
    }

    /// Link intd into todo and make both durable. The message is queued once the link is
    /// made, even if the fsync after it fails (see the module comment).
    pub fn commit(&mut self) -> Result<(), QueueExit> {
        let (intd_path, w) = self.intd.as_mut().ok_or(QueueExit::Bug)?;
        w.flush().map_err(|_| QueueExit::WriteErr)?;
        let todo = Dir::Todo.path(self.id);
        fs::hard_link(&*intd_path, &todo).map_err(|_| QueueExit::TodoFile)?;
        // qmail-send may read todo/<id> from now on: nothing may be taken back.
        self.state = State::Committed;
        w.get_ref().sync_all().map_err(|_| QueueExit::WriteErr)
    }
}

impl Drop for Uncommitted {
    fn drop(&mut self) {
        if self.state != State::Armed {
            return;
        }
        // Truncate before unlinking: the bytes must go even if the unlink fails.
        if let Some((path, w)) = &self.intd {
            let _ = w.get_ref().set_len(0);
            let _ = fs::remove_file(path);
        }
        let _ = self.mess.get_ref().set_len(0);
        let _ = fs::remove_file(&self.mess_path);
    }
}
