//! The controls qmail-smtpd and qmail-qmtpd both read once per connection, relative to
//! the qmail home: rcpthosts (with morercpthosts.cdb), databytes and the recipient check.
//! Unlike the rest of this crate this is I/O; both programs answer any failure here as a
//! temporary one.
use qmail_core::cdb::{Cdb, CdbError};
use qmail_core::constmap::ConstMap;
use qmail_core::control::{self, Me};
use qmail_core::rewrite::Rewrite;

use crate::rcptcheck::{RcptCheck, RcptDb};

use crate::rcpthosts::{LookupError, MoreRcptHosts, RcptHosts};

/// A control file (or morercpthosts.cdb) exists but could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unable to read controls")]
pub struct ControlTrouble;

struct MoreCdb(Cdb);

impl MoreRcptHosts for MoreCdb {
    fn contains(&self, host: &[u8]) -> Result<bool, LookupError> {
        self.0
            .find(host)
            .map(|d| d.is_some())
            .map_err(|_| LookupError)
    }
}

/// `control/rcpthosts` and, when it exists, `control/morercpthosts.cdb`; without
/// rcpthosts every domain is accepted.
pub fn rcpthosts() -> Result<RcptHosts, ControlTrouble> {
    let Some(lines) = control::readfile("control/rcpthosts").map_err(|_| ControlTrouble)? else {
        return Ok(RcptHosts::accept_all());
    };
    let more: Option<Box<dyn MoreRcptHosts>> = match Cdb::open("control/morercpthosts.cdb") {
        Ok(c) => Some(Box::new(MoreCdb(c))),
        Err(CdbError::Io(_, e)) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(_) => return Err(ControlTrouble),
    };
    Ok(RcptHosts::new(lines, more))
}

struct RcptCdbs {
    users: Option<Cdb>,
    rcpt: Cdb,
}

impl RcptDb for RcptCdbs {
    fn users(&self, key: &[u8]) -> Result<Option<Vec<u8>>, LookupError> {
        match &self.users {
            Some(c) => c.find(key).map_err(|_| LookupError),
            None => Ok(None),
        }
    }
    fn rcpt(&self, key: &[u8]) -> Result<Option<Vec<u8>>, LookupError> {
        self.rcpt.find(key).map_err(|_| LookupError)
    }
    fn has_users(&self) -> bool {
        self.users.is_some()
    }
}

fn not_found(e: &CdbError) -> bool {
    matches!(e, CdbError::Io(_, e) if e.kind() == std::io::ErrorKind::NotFound)
}

/// `control/rcptcheck` (a number, 0 or missing: off): the recipient check with qmail-send's
/// rewriting controls, `users/rcpt.cdb` (which must exist when the check is on) and
/// `users/cdb`.
pub fn rcptcheck(me: &Me) -> Result<Option<RcptCheck>, ControlTrouble> {
    let ctl = |_| ControlTrouble;
    if control::readint("control/rcptcheck", 0).map_err(ctl)? == 0 {
        return Ok(None);
    }
    let list = |name: &str, colon: bool| -> Result<ConstMap, ControlTrouble> {
        let lines = control::readfile(name).map_err(ctl)?.unwrap_or_default();
        Ok(ConstMap::new(&lines, colon))
    };
    let locals = match control::readfile("control/locals").map_err(ctl)? {
        Some(l) => ConstMap::new(&l, false),
        None => ConstMap::new(&[me.0.clone().ok_or(ControlTrouble)?], false),
    };
    let rewrite = Rewrite {
        envnoathost: me
            .rldef("control/envnoathost", b"envnoathost")
            .map_err(ctl)?,
        percenthack: list("control/percenthack", false)?,
        locals,
        vdoms: list("control/virtualdomains", true)?,
    };
    let users = match Cdb::open("users/cdb") {
        Ok(c) => Some(c),
        Err(e) if not_found(&e) => None,
        Err(_) => return Err(ControlTrouble),
    };
    let rcpt = Cdb::open("users/rcpt.cdb").map_err(|_| ControlTrouble)?;
    Ok(Some(RcptCheck {
        rewrite,
        db: Box::new(RcptCdbs { users, rcpt }),
    }))
}

/// The message size limit, 0 for none: `control/databytes`, replaced by `$DATABYTES`
/// when set. The largest value is one less so that counting one byte past it cannot
/// overflow.
pub fn databytes() -> Result<u64, ControlTrouble> {
    let mut databytes = control::readint("control/databytes", 0).map_err(|_| ControlTrouble)?;
    if let Some(x) = env("DATABYTES") {
        databytes = scan_ulong(&x);
    }
    if databytes == u64::MAX {
        databytes -= 1;
    }
    Ok(databytes)
}

/// An environment variable's bytes, if it is set.
pub fn env(name: &str) -> Option<Vec<u8>> {
    std::env::var_os(name).map(|v| std::os::unix::ffi::OsStrExt::as_bytes(v.as_os_str()).to_vec())
}

/// `$RELAYCLIENT`: when set, appended to every recipient and rcpthosts is not consulted.
pub fn relayclient() -> Option<Vec<u8>> {
    env("RELAYCLIENT")
}

/// An unsigned decimal prefix (scan_ulong): no digits is 0, too many digits saturate.
pub fn scan_ulong(s: &[u8]) -> u64 {
    s.iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0u64, |n, &b| {
            n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan() {
        assert_eq!(scan_ulong(b"1024"), 1024);
        assert_eq!(scan_ulong(b"10k"), 10);
        assert_eq!(scan_ulong(b"k"), 0);
        assert_eq!(scan_ulong(b""), 0);
        assert_eq!(scan_ulong(b"99999999999999999999999"), u64::MAX);
    }
}
