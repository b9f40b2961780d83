//! The control files qmail-remote reads at each run (relative to the qmail home).
use qmail_core::constmap::ConstMap;
use qmail_core::control::{self, ControlError, Me};

pub const TIMEOUT_REMOTE: u64 = 1200;
pub const TIMEOUT_CONNECT: u64 = 60;

pub struct Controls {
    /// Seconds allowed for each read from and write to the server.
    pub timeout: u64,
    pub timeoutconnect: u64,
    pub helohost: Vec<u8>,
    pub routes: ConstMap,
}

/// Any control trouble, including "no helohost and no me", is reported the same way.
pub struct Trouble;

impl From<ControlError> for Trouble {
    fn from(_: ControlError) -> Trouble {
        Trouble
    }
}

impl Controls {
    pub fn read() -> Result<Controls, Trouble> {
        let me = Me::init()?;
        let timeout = control::readint("control/timeoutremote", TIMEOUT_REMOTE)?;
        let timeoutconnect = control::readint("control/timeoutconnect", TIMEOUT_CONNECT)?;
        let helohost = match control::readline("control/helohost")? {
            Some(h) => h,
            None => me.0.ok_or(Trouble)?,
        };
        let lines = control::readfile("control/smtproutes")?.unwrap_or_default();
        Ok(Controls {
            timeout,
            timeoutconnect,
            helohost,
            routes: ConstMap::new(&lines, true),
        })
    }
}
