//! Startup: the qmail home and the controls qmail-qmtpd reads once per connection:
//! rcpthosts (+ morercpthosts.cdb), databytes (DATABYTES overrides), RELAYCLIENT.
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use qmail_core::cdb::{Cdb, CdbError};
use qmail_core::{auto, control};
use qmail_smtp::rcpthosts::{LookupError, MoreRcptHosts, RcptHosts};

use crate::Fatal;
use qmail_smtp::received::{peer_from_env, Peer};

pub struct Controls {
    pub rcpthosts: RcptHosts,
    /// 0 is unlimited.
    pub databytes: u64,
    /// Appended to every recipient; rcpthosts is then not consulted.
    pub relayclient: Option<Vec<u8>>,
    pub peer: Peer,
}

struct MoreCdb(Cdb);

impl MoreRcptHosts for MoreCdb {
    fn contains(&self, host: &[u8]) -> Result<bool, LookupError> {
        self.0
            .find(host)
            .map(|d| d.is_some())
            .map_err(|_| LookupError)
    }
}

fn env(name: &str) -> Option<Vec<u8>> {
    std::env::var_os(name).map(|v| OsStr::as_bytes(&v).to_vec())
}

/// An unsigned decimal prefix (scan_ulong): no digits is 0, too many digits saturate.
pub fn scan_ulong(s: &[u8]) -> u64 {
    s.iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0u64, |n, &b| {
            n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
        })
}

fn rcpthosts() -> Result<RcptHosts, Fatal> {
    let Some(lines) = control::readfile("control/rcpthosts").map_err(|_| Fatal::Resources)? else {
        return Ok(RcptHosts::accept_all());
    };
    let more: Option<Box<dyn MoreRcptHosts>> = match Cdb::open("control/morercpthosts.cdb") {
        Ok(c) => Some(Box::new(MoreCdb(c))),
        Err(CdbError::Io(_, e)) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(_) => return Err(Fatal::Resources),
    };
    Ok(RcptHosts::new(lines, more))
}

/// Change to the qmail home and read everything. Any failure is a resource problem.
pub fn load() -> Result<Controls, Fatal> {
    std::env::set_current_dir(auto::QMAIL).map_err(|_| Fatal::Resources)?;
    control::Me::init().map_err(|_| Fatal::Resources)?;
    let rcpthosts = rcpthosts()?;
    let relayclient = env("RELAYCLIENT");
    let mut databytes = control::readint("control/databytes", 0).map_err(|_| Fatal::Resources)?;
    if let Some(x) = env("DATABYTES") {
        databytes = scan_ulong(&x);
    }
    if databytes == u64::MAX {
        databytes -= 1;
    }
    Ok(Controls {
        rcpthosts,
        databytes,
        relayclient,
        peer: peer_from_env(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan() {
        assert_eq!(scan_ulong(b"1024"), 1024);
        assert_eq!(scan_ulong(b"10k"), 10);
        assert_eq!(scan_ulong(b""), 0);
        assert_eq!(scan_ulong(b"99999999999999999999999"), u64::MAX);
    }
}
