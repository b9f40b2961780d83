//! The controls qmail-send reads at start (relative to the qmail home). Only `locals` and
//! `virtualdomains` are read again, on SIGHUP (qmail-todo rereads its own copy then).
use qmail_core::control::{self, ControlError, Me};
use qmail_core::rewrite::RewriteError;

use crate::chan::PerChannel;
use crate::rewrite::Rewrite;

pub struct Controls {
    pub me: Me,
    pub lifetime: i64,
    pub concurrency: PerChannel<u64>,
    pub bouncefrom: Vec<u8>,
    pub bouncehost: Vec<u8>,
    /// `doublebounceto@doublebouncehost`.
    pub doublebounceto: Vec<u8>,
    pub rewrite: Rewrite,
}

#[derive(Debug, thiserror::Error)]
pub enum ControlsError {
    #[error(transparent)]
    Control(#[from] ControlError),
    #[error(transparent)]
    Rewrite(#[from] RewriteError),
}

pub fn read() -> Result<Controls, ControlsError> {
    let me = Me::init()?;
    let lifetime =
        i64::try_from(control::readint("control/queuelifetime", 604_800)?).unwrap_or(i64::MAX);
    let concurrency = PerChannel::new(
        control::readint("control/concurrencylocal", 10)?,
        control::readint("control/concurrencyremote", 20)?,
    );
    let bouncefrom = control::rldef("control/bouncefrom", b"MAILER-DAEMON")?;
    let bouncehost = me.rldef("control/bouncehost", b"bouncehost")?;
    let doublebouncehost = me.rldef("control/doublebouncehost", b"doublebouncehost")?;
    let mut doublebounceto = control::rldef("control/doublebounceto", b"postmaster")?;
    doublebounceto.push(b'@');
    doublebounceto.extend_from_slice(&doublebouncehost);
    let rewrite = Rewrite::read(&me)?;
    Ok(Controls {
        me,
        lifetime,
        concurrency,
        bouncefrom,
        bouncehost,
        doublebounceto,
        rewrite,
    })
}
