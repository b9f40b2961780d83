//! The two delivery channels and the names of their queue files.
use qmail_core::queue::Dir;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    Local = 0,
    Remote = 1,
}

pub const CHANNELS: [Channel; 2] = [Channel::Local, Channel::Remote];

impl Channel {
    pub fn idx(self) -> usize {
        self as usize
    }
    /// The queue directory of the channel, and its word in log lines.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Local => Dir::Local.name(),
            Channel::Remote => Dir::Remote.name(),
        }
    }
    /// The retry "skip": attempts at birth + (skip k)^2.
    pub fn skip(self) -> i64 {
        match self {
            Channel::Local => 10,
            Channel::Remote => 20,
        }
    }
    pub fn other(self) -> Channel {
        match self {
            Channel::Local => Channel::Remote,
            Channel::Remote => Channel::Local,
        }
    }
    /// The channel's queue directory.
    pub fn dir(self) -> Dir {
        match self {
            Channel::Local => Dir::Local,
            Channel::Remote => Dir::Remote,
        }
    }
    /// `local/N/id` or `remote/N/id`.
    pub fn path(self, id: u64) -> String {
        self.dir().path(id)
    }
}
