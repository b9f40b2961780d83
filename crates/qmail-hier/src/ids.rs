//! Owners by role; the numbers are looked up by name when an interpreter needs them.
use nix::unistd::{Gid, Uid};
use qmail_core::{auto, ids};

use crate::HierError;

/// The user that owns an entry (conf-users roles).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    Root,
    Alias,
    Qmailq,
    Qmailr,
    Qmails,
}

impl Owner {
    pub fn name(self) -> &'static str {
        match self {
            Owner::Root => auto::USER_OWNER,
            Owner::Alias => auto::USER_ALIAS,
            Owner::Qmailq => auto::USER_QUEUE,
            Owner::Qmailr => auto::USER_REMOTE,
            Owner::Qmails => auto::USER_SEND,
        }
    }
}

/// The numeric ids of the owners and of group qmail on this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ids {
    pub root: Uid,
    pub alias: Uid,
    pub qmailq: Uid,
    pub qmailr: Uid,
    pub qmails: Uid,
    pub qmail: Gid,
}

impl Ids {
    pub fn lookup() -> Result<Ids, HierError> {
        Ok(Ids {
            root: ids::uid(auto::USER_OWNER)?,
            alias: ids::alias()?,
            qmailq: ids::qmailq()?,
            qmailr: ids::qmailr()?,
            qmails: ids::qmails()?,
            qmail: ids::gid_qmail()?,
        })
    }

    pub fn uid(&self, o: Owner) -> Uid {
        match o {
            Owner::Root => self.root,
            Owner::Alias => self.alias,
            Owner::Qmailq => self.qmailq,
            Owner::Qmailr => self.qmailr,
            Owner::Qmails => self.qmails,
        }
    }
}
