//! The qmail users and groups, looked up by name at run time (notqmail's inituid), so a
//! binary works whatever numbers the machine gave them.
use nix::unistd::{Gid, Group, Uid, User};

use crate::auto;

#[derive(Debug, thiserror::Error)]
pub enum IdError {
    #[error("unable to find user {0}")]
    User(String),
    #[error("unable to find group {0}")]
    Group(String),
}

pub fn uid(name: &str) -> Result<Uid, IdError> {
    match User::from_name(name) {
        Ok(Some(u)) => Ok(u.uid),
        _ => Err(IdError::User(name.to_string())),
    }
}

pub fn gid(name: &str) -> Result<Gid, IdError> {
    match Group::from_name(name) {
        Ok(Some(g)) => Ok(g.gid),
        _ => Err(IdError::Group(name.to_string())),
    }
}

/// uid of qmail's alias user.
pub fn alias() -> Result<Uid, IdError> {
    uid(auto::USER_ALIAS)
}
pub fn qmaild() -> Result<Uid, IdError> {
    uid(auto::USER_DAEMON)
}
pub fn qmaill() -> Result<Uid, IdError> {
    uid(auto::USER_LOG)
}
pub fn qmailp() -> Result<Uid, IdError> {
    uid(auto::USER_PASSWD)
}
pub fn qmailq() -> Result<Uid, IdError> {
    uid(auto::USER_QUEUE)
}
pub fn qmailr() -> Result<Uid, IdError> {
    uid(auto::USER_REMOTE)
}
pub fn qmails() -> Result<Uid, IdError> {
    uid(auto::USER_SEND)
}
/// qmail-tlsd's user: the only one that may read the TLS key.
pub fn qmailt() -> Result<Uid, IdError> {
    uid(auto::USER_TLS)
}
/// qmail-dkimsign's user: the only one that may read the DKIM keys.
pub fn qmailk() -> Result<Uid, IdError> {
    uid(auto::USER_DKIM)
}
pub fn gid_qmail() -> Result<Gid, IdError> {
    gid(auto::GROUP_QMAIL)
}
pub fn gid_nofiles() -> Result<Gid, IdError> {
    gid(auto::GROUP_NOFILES)
}
