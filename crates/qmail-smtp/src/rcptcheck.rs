//! Recipient checking at RCPT (control/rcptcheck, qmail-newrcpt(8)): would qmail-local
//! deliver to this address, or bounce it with "Sorry, no mailbox here by that name"?
//!
//! qmail-smtpd (qmaild) cannot read home directories, so qmail-newrcpt, run as root,
//! writes what it saw into `users/rcpt.cdb`; this module asks the questions qmail-send,
//! qmail-lspawn, qmail-getpw and qmail-local would ask, in their order, of that database
//! and of `users/cdb`:
//! 1. qmail-send's rewriting (percenthack, locals, virtualdomains): a remote address is
//!    not ours to judge and is accepted.
//! 2. users/cdb (qmail-lspawn): exact key, then wildcards.
//! 3. Else the longest account-name prefix that qmail-getpw would accept (key `p`), else
//!    the alias user (key `a`) with the whole local part as extension.
//! 4. No extension: qmail-local always delivers (`.qmail` or the default delivery).
//!    Otherwise one of the `.qmail` files qmail-local tries must exist (key `f`).
//!
//! Anything the database cannot decide is accepted: a temporary failure later is not
//! backscatter, a wrong 550 is lost mail.
use qmail_core::dotqmail::candidates;
use qmail_core::rewrite::{Channel, Rewrite};
use qmail_core::users;

use crate::rcpthosts::LookupError;

/// Key of a valid account (qmail-getpw's rules) by its lowercase name; data: its home.
pub const ACCOUNT: u8 = b'p';
/// Key (alone) of the alias user; data: its home.
pub const ALIAS: u8 = b'a';
/// Key `f` home NUL name: the file `name` in `home` counts as existing for qmail-local.
pub const FILE: u8 = b'f';
/// Key `d` home NUL name: `name` in `home` is a directory (an extension with `/` in it
/// names a file below it; such addresses are accepted).
pub const DIR: u8 = b'd';
/// Key `u` home: qmail-newrcpt could not list the home directory; accept everything.
pub const UNKNOWN: u8 = b'u';

/// `tag` home NUL name.
pub fn home_key(tag: u8, home: &[u8], name: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(home.len().saturating_add(name.len()).saturating_add(2));
    k.push(tag);
    k.extend_from_slice(home);
    k.push(0);
    k.extend_from_slice(name);
    k
}

/// The two databases, looked up by the program (reading them is I/O).
pub trait RcptDb {
    /// A key of users/cdb; Ok(None) also when there is no users/cdb.
    fn users(&self, key: &[u8]) -> Result<Option<Vec<u8>>, LookupError>;
    /// A key of users/rcpt.cdb.
    fn rcpt(&self, key: &[u8]) -> Result<Option<Vec<u8>>, LookupError>;
    /// Is there a users/cdb at all?
    fn has_users(&self) -> bool;
}

/// The loaded check.
pub struct RcptCheck {
    pub rewrite: Rewrite,
    pub db: Box<dyn RcptDb>,
}

impl std::fmt::Debug for RcptCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RcptCheck").finish_non_exhaustive()
    }
}

/// Where qmail-lspawn would send a local part: the home, dash and extension.
struct Target {
    home: Vec<u8>,
    dash: Vec<u8>,
    ext: Vec<u8>,
}

impl RcptCheck {
    /// Would mail to `addr` (as qmail-smtpd hands it to qmail-queue) be delivered or
    /// retried rather than bounced as having no mailbox?
    pub fn deliverable(&self, addr: &[u8]) -> Result<bool, LookupError> {
        let (chan, addr) = self.rewrite.rewrite(addr);
        if chan == Channel::Remote {
            return Ok(true);
        }
        let at = addr.iter().rposition(|&b| b == b'@').unwrap_or(addr.len());
        let local = addr.get(..at).unwrap_or_default();
        let Some(t) = self.target(local)? else {
            return Ok(true);
        };
        if t.dash.is_empty() {
            return Ok(true);
        }
        let db = &self.db;
        if db.rcpt(&home_key(UNKNOWN, &t.home, b""))?.is_some() {
            return Ok(true);
        }
        for c in candidates(&t.dash, &t.ext) {
            let found = match memchr::memchr(b'/', &c.name) {
                Some(slash) => {
                    let dir = c.name.get(..slash).unwrap_or_default();
                    db.rcpt(&home_key(DIR, &t.home, dir))?
                }
                None => db.rcpt(&home_key(FILE, &t.home, &c.name))?,
            };
            if found.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// qmail-lspawn's answer (users/cdb, else qmail-getpw's); None when it would be a
    /// temporary failure (no alias user, a record that does not parse).
    fn target(&self, local: &[u8]) -> Result<Option<Target>, LookupError> {
        let db = &self.db;
        if db.has_users() {
            // A users/cdb without its wildchars record is qmail-lspawn's temporary
            // failure (None here); a read error is ours.
            match users::lookup_by(|k| db.users(k).map_err(Some), local, || None) {
                Ok(Some(data)) => {
                    return Ok(users::parse(&data).map(|u| Target {
                        home: u.home,
                        dash: u.dash,
                        ext: u.ext,
                    }))
                }
                Ok(None) => {}
                Err(None) => return Ok(None),
                Err(Some(e)) => return Err(e),
            }
        }
        for len in users::account_prefixes(local) {
            let name = local.get(..len).unwrap_or_default().to_ascii_lowercase();
            let mut key = vec![ACCOUNT];
            key.extend_from_slice(&name);
            if let Some(home) = db.rcpt(&key)? {
                let whole = len == local.len();
                return Ok(Some(Target {
                    home,
                    dash: if whole { Vec::new() } else { b"-".to_vec() },
                    ext: local
                        .get(len.saturating_add(1)..)
                        .unwrap_or_default()
                        .to_vec(),
                }));
            }
        }
        Ok(db.rcpt(&[ALIAS])?.map(|home| Target {
            home,
            dash: b"-".to_vec(),
            ext: local.to_vec(),
        }))
    }
}

#[cfg(test)]
mod tests;
