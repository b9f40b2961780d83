//! The control files qmail-remote reads at each run (relative to the qmail home).
use qmail_core::constmap::ConstMap;
use qmail_core::control::{self, ControlError, Me};
use qmail_remote_core::auth::{self, Credentials};
use qmail_remote_core::tlspolicy::{self, Policy};
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::PermissionsExt;

pub const TIMEOUT_REMOTE: u64 = 1200;
pub const TIMEOUT_CONNECT: u64 = 60;

pub struct Controls {
    /// Seconds allowed for each read from and write to the server.
    pub timeout: u64,
    pub timeoutconnect: u64,
    pub helohost: Vec<u8>,
    pub routes: ConstMap,
    pub tls: Policy,
    /// The source addresses of connections (control/outgoingip, control/outgoingip6).
    pub outgoingip: Option<Ipv4Addr>,
    pub outgoingip6: Option<Ipv6Addr>,
}

/// A control file holding one address; a line that is not one is trouble, not ignored.
fn address<T: std::str::FromStr>(path: &str) -> Result<Option<T>, Trouble> {
    match control::readline(path)? {
        None => Ok(None),
        Some(line) => {
            let text = std::str::from_utf8(&line).map_err(|_| Trouble::Any)?;
            text.trim().parse().map(Some).map_err(|_| Trouble::Any)
        }
    }
}

/// Any control trouble, including "no helohost and no me", is reported the same way;
/// a bad line in control/tlsdestinations is named.
pub enum Trouble {
    Any,
    TlsLine(usize),
}

impl From<ControlError> for Trouble {
    fn from(_: ControlError) -> Trouble {
        Trouble::Any
    }
}

impl Controls {
    /// The address to connect from for a server at `to`, by its family.
    pub fn source(&self, to: IpAddr) -> Option<IpAddr> {
        match to {
            IpAddr::V4(_) => self.outgoingip.map(IpAddr::V4),
            IpAddr::V6(_) => self.outgoingip6.map(IpAddr::V6),
        }
    }

    pub fn read() -> Result<Controls, Trouble> {
        let me = Me::init()?;
        let timeout = control::readint("control/timeoutremote", TIMEOUT_REMOTE)?;
        let timeoutconnect = control::readint("control/timeoutconnect", TIMEOUT_CONNECT)?;
        let helohost = match control::readline("control/helohost")? {
            Some(h) => h,
            None => me.0.ok_or(Trouble::Any)?,
        };
        let lines = control::readfile("control/smtproutes")?.unwrap_or_default();
        let tls = control::readfile("control/tlsdestinations")?.unwrap_or_default();
        let tls = tlspolicy::parse(&tls).map_err(|tlspolicy::BadLine(n)| Trouble::TlsLine(n))?;
        Ok(Controls {
            timeout,
            timeoutconnect,
            helohost,
            routes: ConstMap::new(&lines, true),
            tls,
            outgoingip: address("control/outgoingip")?,
            outgoingip6: address("control/outgoingip6")?,
        })
    }
}

/// Passwords for relays, readable by qmailr alone.
pub const SMTPAUTH: &str = "control/smtpauth";

/// The credentials control/smtpauth holds for `relay`. The file must not be readable by
/// group or others: a password in a file anyone may read is refused, not used. Lines are
/// taken as they are (a password may end in a blank).
pub fn smtpauth(relay: &[u8]) -> Result<Option<Credentials>, String> {
    let mut f = match std::fs::File::open(SMTPAUTH) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("Unable to read {SMTPAUTH}: {e}.")),
    };
    let meta = f
        .metadata()
        .map_err(|e| format!("Unable to read {SMTPAUTH}: {e}."))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(format!(
            "{SMTPAUTH} may be read by others than its owner; it holds passwords (chmod 600)."
        ));
    }
    let mut data = Vec::new();
    f.read_to_end(&mut data)
        .map_err(|e| format!("Unable to read {SMTPAUTH}: {e}."))?;
    let lines: Vec<Vec<u8>> = data.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    auth::lookup(&lines, relay)
        .map_err(|auth::BadLine(n)| format!("Unable to parse {SMTPAUTH}: line {n} is not valid."))
}
