//! Startup: the qmail home, the controls and the tcpserver environment, read once per
//! connection (qmail-smtpd(8)). Any failure is a 421 before the greeting.
use qmail_core::{auto, control};
use qmail_smtp::addr::LocalIpHost;
use qmail_smtp::badmailfrom::Badmailfrom;
use qmail_smtp::load;
use qmail_smtp::received::peer_from_env;
use qmail_smtp::Config;

use crate::StartError;

/// timeoutsmtpd's default, in seconds.
pub const DEFAULT_TIMEOUT: u64 = 1200;

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
    let rcpthosts = load::rcpthosts().map_err(|_| StartError::Control)?;
    let badmailfrom = Badmailfrom::new(
        control::readfile("control/badmailfrom")
            .map_err(ctl)?
            .unwrap_or_default(),
    );
    let databytes = load::databytes().map_err(|_| StartError::Control)?;
    let rcptcheck = load::rcptcheck(&me).map_err(|_| StartError::Control)?;
    let peer = peer_from_env();
    let (ips, ips6) = qmail_net::ipme::ipme_both().map_err(|_| StartError::Ipme)?;
    let cfg = Config {
        greeting,
        localiphost: liphost.map(|name| LocalIpHost { name, ips, ips6 }),
        rcpthosts,
        badmailfrom,
        databytes,
        relayclient: load::relayclient(),
        peer,
        starttls: false,
        tls: None,
        auth: false,
        auth_clear: std::env::var_os("SMTPAUTHCLEAR").is_some(),
        submission: std::env::var_os("SUBMISSION").is_some(),
        rcptcheck,
    };
    Ok((cfg, timeout))
}
