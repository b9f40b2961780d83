//! The directories of `queue/` and the files of `queue/lock/`.
use crate::auto;

/// `queue` under the qmail home: every queue program's working directory.
pub const QUEUE: &str = "queue";
/// Held locked (flock) by the running qmail-send; free while it is stopped.
pub const SENDMUTEX: &str = "lock/sendmutex";
/// The FIFO qmail-queue writes a byte into to wake qmail-send.
pub const TRIGGER: &str = "lock/trigger";
/// qmail-remote's record of recent connection timeouts (qmail-tcpto(8)).
pub const TCPTO: &str = "lock/tcpto";

/// One directory of the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dir {
    /// The message bytes, named by the inode number that became the message id.
    Mess,
    /// The sender (`F` record), written by qmail-send's todo phase; its mtime is the
    /// message's birth.
    Info,
    /// Recipients for qmail-lspawn (`T`/`D` records).
    Local,
    /// Recipients for qmail-rspawn (`T`/`D` records).
    Remote,
    /// Committed envelopes waiting for qmail-send's todo phase (a link of intd).
    Todo,
    /// Envelopes being written by qmail-queue.
    Intd,
    /// Bounce paragraphs collected for a message.
    Bounce,
    /// qmail-queue's first file, `<pid>.<time>.<seq>`, before it is linked into mess.
    Pid,
    /// sendmutex, trigger, tcpto.
    Lock,
}

impl Dir {
    /// Every directory, parents of split subdirectories included.
    pub const ALL: [Dir; 9] = [
        Dir::Mess,
        Dir::Info,
        Dir::Local,
        Dir::Remote,
        Dir::Todo,
        Dir::Intd,
        Dir::Bounce,
        Dir::Pid,
        Dir::Lock,
    ];
    /// The directories split into `0..split` subdirectories by message id.
    pub const SPLIT: [Dir; 4] = [Dir::Mess, Dir::Info, Dir::Local, Dir::Remote];
    /// The directories whose files are named by a message id.
    pub const BY_ID: [Dir; 7] = [
        Dir::Mess,
        Dir::Info,
        Dir::Local,
        Dir::Remote,
        Dir::Todo,
        Dir::Intd,
        Dir::Bounce,
    ];

    /// The directory's name under `queue/`.
    pub fn name(self) -> &'static str {
        match self {
            Dir::Mess => "mess",
            Dir::Info => "info",
            Dir::Local => "local",
            Dir::Remote => "remote",
            Dir::Todo => "todo",
            Dir::Intd => "intd",
            Dir::Bounce => "bounce",
            Dir::Pid => "pid",
            Dir::Lock => "lock",
        }
    }

    /// The directory named `name`, if it is one of the queue's.
    pub fn from_name(name: &str) -> Option<Dir> {
        Dir::ALL.into_iter().find(|d| d.name() == name)
    }

    pub fn is_split(self) -> bool {
        Dir::SPLIT.contains(&self)
    }

    /// Message `id`'s file in this directory with the compiled-in split (conf-split):
    /// `mess/<id mod split>/<id>` or `todo/<id>`, relative to `queue/`.
    pub fn path(self, id: u64) -> String {
        self.path_split(id, auto::SPLIT)
    }

    /// As [`Dir::path`] for a queue made with another split.
    pub fn path_split(self, id: u64, split: u32) -> String {
        if self.is_split() {
            format!("{}/{}/{id}", self.name(), super::names::split_of(id, split))
        } else {
            format!("{}/{id}", self.name())
        }
    }

    /// Subdirectory `n` of a split directory: `info/7`.
    pub fn subdir(self, n: u32) -> String {
        format!("{}/{n}", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for d in Dir::ALL {
            assert_eq!(Dir::from_name(d.name()), Some(d));
        }
        assert_eq!(Dir::from_name("queue"), None);
        assert_eq!(
            Dir::Mess.path(753663),
            format!("mess/{}/753663", 753663 % auto::SPLIT)
        );
        assert_eq!(Dir::Todo.path(5), "todo/5");
        assert_eq!(Dir::Bounce.path_split(5, 3), "bounce/5");
        assert_eq!(Dir::Info.path_split(5, 3), "info/2/5");
        assert_eq!(Dir::Remote.subdir(0), "remote/0");
    }
}
