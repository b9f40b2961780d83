//! The controls qmail-send reads at start (relative to the qmail home). Only `locals` and
//! `virtualdomains` are read again, on SIGHUP.
use qmail_core::constmap::ConstMap;
use qmail_core::control::{self, ControlError, Me};

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
    #[error("no control/locals and no control/me")]
    NoLocals,
}

pub fn read() -> Result<Controls, ControlsError> {
    let me = Me::init()?;
    let lifetime =
        i64::try_from(control::readint("control/queuelifetime", 604_800)?).unwrap_or(i64::MAX);
    let concurrency = PerChannel::new(
        control::readint("control/concurrencylocal", 10)?,
        control::readint("control/concurrencyremote", 20)?,
    );
    let envnoathost = me.rldef("control/envnoathost", b"envnoathost")?;
    let bouncefrom = control::rldef("control/bouncefrom", b"MAILER-DAEMON")?;
    let bouncehost = me.rldef("control/bouncehost", b"bouncehost")?;
    let doublebouncehost = me.rldef("control/doublebouncehost", b"doublebouncehost")?;
    let mut doublebounceto = control::rldef("control/doublebounceto", b"postmaster")?;
    doublebounceto.push(b'@');
    doublebounceto.extend_from_slice(&doublebouncehost);
    let percenthack = ConstMap::new(
        &control::readfile("control/percenthack")?.unwrap_or_default(),
        false,
    );
    let locals = locals(&me)?;
    Ok(Controls {
        me,
        lifetime,
        concurrency,
        bouncefrom,
        bouncehost,
        doublebounceto,
        rewrite: Rewrite {
            envnoathost,
            percenthack,
            locals,
            vdoms: vdoms()?,
        },
    })
}

/// `control/locals`; when missing, the single entry `me`; neither → qmail-send can't run.
pub fn locals(me: &Me) -> Result<ConstMap, ControlsError> {
    let lines = match control::readfile("control/locals")? {
        Some(l) => l,
        None => vec![me.0.clone().ok_or(ControlsError::NoLocals)?],
    };
    Ok(ConstMap::new(&lines, false))
}

pub fn vdoms() -> Result<ConstMap, ControlsError> {
    Ok(ConstMap::new(
        &control::readfile("control/virtualdomains")?.unwrap_or_default(),
        true,
    ))
}
