//! Startup: the qmail home and the controls qmail-qmtpd reads once per connection:
//! rcpthosts (+ morercpthosts.cdb), databytes (DATABYTES overrides), RELAYCLIENT.
use qmail_core::{auto, control};
use qmail_smtp::load;
use qmail_smtp::rcpthosts::RcptHosts;

use qmail_core::exit::QmtpExit;
use qmail_smtp::received::{peer_from_env, Peer};

pub struct Controls {
    pub rcpthosts: RcptHosts,
    /// 0 is unlimited.
    pub databytes: u64,
    /// Appended to every recipient; rcpthosts is then not consulted.
    pub relayclient: Option<Vec<u8>>,
    pub peer: Peer,
}

/// Change to the qmail home and read everything. Any failure is a resource problem.
pub fn load() -> Result<Controls, QmtpExit> {
    std::env::set_current_dir(auto::QMAIL).map_err(|_| QmtpExit::Resources)?;
    control::Me::init().map_err(|_| QmtpExit::Resources)?;
    let rcpthosts = load::rcpthosts().map_err(|_| QmtpExit::Resources)?;
    let relayclient = load::relayclient();
    let databytes = load::databytes().map_err(|_| QmtpExit::Resources)?;
    Ok(Controls {
        rcpthosts,
        databytes,
        relayclient,
        peer: peer_from_env(),
    })
}
