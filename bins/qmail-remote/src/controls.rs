//! The control files qmail-remote reads at each run (relative to the qmail home).
use qmail_core::constmap::ConstMap;
use qmail_core::control::{self, ControlError, Me};
use qmail_remote_core::tlspolicy::{self, Policy};

pub const TIMEOUT_REMOTE: u64 = 1200;
pub const TIMEOUT_CONNECT: u64 = 60;

pub struct Controls {
    /// Seconds allowed for each read from and write to the server.
    pub timeout: u64,
    pub timeoutconnect: u64,
    pub helohost: Vec<u8>,
    pub routes: ConstMap,
    pub tls: Policy,
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
        })
    }
}
