//! The control files qmail-inject reads (relative to the qmail home) and the optional
//! QMAILMFTFILE (relative to the directory qmail-inject was started in).
use qmail_core::control;
use qmail_rfc822::inject::Controls;

use crate::InjectError;

fn line(name: &str) -> Result<Option<Vec<u8>>, InjectError> {
    control::readline(name).map_err(|_| InjectError::Read)
}

pub fn read() -> Result<Controls, InjectError> {
    Ok(Controls {
        me: line("control/me")?,
        defaultdomain: line("control/defaultdomain")?,
        defaulthost: line("control/defaulthost")?,
        plusdomain: line("control/plusdomain")?,
        idhost: line("control/idhost")?,
    })
}

/// The mailing lists of QMAILMFTFILE, read before the chdir to the qmail home.
pub fn mft() -> Result<Option<Vec<Vec<u8>>>, InjectError> {
    let Some(path) = std::env::var_os("QMAILMFTFILE") else {
        return Ok(None);
    };
    control::readfile(path).map_err(|_| InjectError::Read)
}
