//! Startup: the qmail home, the controls and the tcpserver environment, read once per
//! connection (qmail-smtpd(8), spec §5.1). Any failure is a 421 before the greeting.
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use qmail_core::cdb::{Cdb, CdbError};
use qmail_core::{auto, control};
use qmail_smtp::addr::LocalIpHost;
use qmail_smtp::badmailfrom::Badmailfrom;
use qmail_smtp::rcpthosts::{LookupError, MoreRcptHosts, RcptHosts};
use qmail_smtp::received::peer_from_env;
use qmail_smtp::Config;

use crate::StartError;

/// timeoutsmtpd's default, in seconds.
pub const DEFAULT_TIMEOUT: u64 = 1200;

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

/// An unsigned decimal prefix (scan_ulong); no digits is 0, too many digits saturate.
fn scan_ulong(s: &[u8]) -> u64 {
    s.iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0u64, |n, &b| {
            n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
        })
}

fn rcpthosts() -> Result<RcptHosts, StartError> {
    let ctl = |_| StartError::Control;
    let Some(lines) = control::readfile("control/rcpthosts").map_err(ctl)? else {
        return Ok(RcptHosts::accept_all());
    };
    let more: Option<Box<dyn MoreRcptHosts>> = match Cdb::open("control/morercpthosts.cdb") {
        Ok(c) => Some(Box::new(MoreCdb(c))),
        Err(CdbError::Io(_, e)) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(_) => return Err(StartError::Control),
    };
    Ok(RcptHosts::new(lines, more))
}

/// Change to the qmail home, read everything; the session config and timeoutsmtpd.
pub fn load() -> Result<(Config, u64), StartError> {
    let ctl = |_| StartError::Control;
    std::env::set_current_dir(auto::QMAIL).map_err(|_| StartError::Control)?;
    let me = control::Me::init().map_err(ctl)?;
    let greeting = control::readline("control/smtpgreeting")
        .map_err(ctl)?
        .or_else(|| me.0.clone())
        .ok_or(StartError::Control)?;
    let liphost = control::readline("control/localiphost")
        .map_err(ctl)?
        .or_else(|| me.0.clone());
    let timeout = match control::readint("control/timeoutsmtpd", DEFAULT_TIMEOUT).map_err(ctl)? {
        0 => 1,
        t => t,
    };
    let rcpthosts = rcpthosts()?;
    let badmailfrom = Badmailfrom::new(
        control::readfile("control/badmailfrom")
            .map_err(ctl)?
            .unwrap_or_default(),
    );
    let mut databytes = control::readint("control/databytes", 0).map_err(ctl)?;
    if let Some(x) = env("DATABYTES") {
        databytes = scan_ulong(&x);
    }
    if databytes == u64::MAX {
        databytes -= 1;
    }
    let peer = peer_from_env();
    let ips = qmail_net::ipme::ipme().map_err(|_| StartError::Ipme)?;
    let cfg = Config {
        greeting,
        localiphost: liphost.map(|name| LocalIpHost { name, ips }),
        rcpthosts,
        badmailfrom,
        databytes,
        relayclient: env("RELAYCLIENT"),
        peer,
    };
    Ok((cfg, timeout))
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
