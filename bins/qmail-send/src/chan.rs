//! The two delivery channels and the names of their queue files.
use qmail_core::queue::Dir;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Local = 0,
    Remote = 1,
}

pub const CHANNELS: [Channel; 2] = [Channel::Local, Channel::Remote];

impl Channel {
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

/// One `T` per channel: what qmail keeps in two-element arrays indexed by channel number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PerChannel<T> {
    pub local: T,
    pub remote: T,
}

impl<T> PerChannel<T> {
    pub fn new(local: T, remote: T) -> Self {
        PerChannel { local, remote }
    }

    /// Each channel's value made by `f`.
    pub fn from_fn(mut f: impl FnMut(Channel) -> T) -> Self {
        PerChannel {
            local: f(Channel::Local),
            remote: f(Channel::Remote),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        [&self.local, &self.remote].into_iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        [&mut self.local, &mut self.remote].into_iter()
    }
}

impl<T> std::ops::Index<Channel> for PerChannel<T> {
    type Output = T;
    fn index(&self, c: Channel) -> &T {
        match c {
            Channel::Local => &self.local,
            Channel::Remote => &self.remote,
        }
    }
}

impl<T> std::ops::IndexMut<Channel> for PerChannel<T> {
    fn index_mut(&mut self, c: Channel) -> &mut T {
        match c {
            Channel::Local => &mut self.local,
            Channel::Remote => &mut self.remote,
        }
    }
}
