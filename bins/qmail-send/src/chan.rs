//! The two delivery channels and the names of their queue files.
use qmail_core::fmtqfn;

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
            Channel::Local => "local",
            Channel::Remote => "remote",
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
    /// `local/N/id` or `remote/N/id`.
    pub fn path(self, id: u64) -> String {
        fmtqfn::split_path(self.name(), id)
    }
}
