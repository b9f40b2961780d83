//! qmail-tlsd [-i] prog [arg ...]: the TLS engine (qmail-tlsd(8)). Started as root by
//! tcpserver or a systemd socket with the client on fds 0 and 1, it starts prog (qmail-smtpd)
//! as qmaild with clear-text pipes as fds 0 and 1 and a control socket ($TLSCTLFD), becomes
//! qmailt, and relays: in clear text until prog says STARTTLS was accepted, then through
//! TLS. With -i (SMTPS, port 465) the connection is TLS from the first byte. The
//! certificate and key are read as qmailt, for every connection.
#![forbid(unsafe_code)]

mod cert;
mod io;
mod log;
mod relay;
mod spawn;

use std::ffi::OsString;

use qmail_core::{auto, control};

/// timeoutsmtpd's default: the engine gives up after as long without progress.
const DEFAULT_TIMEOUT: u64 = 1200;

/// Exit codes: 100 usage, 111 a temporary failure (nothing was relayed).
const EXIT_USAGE: u8 = 100;
const EXIT_TEMP: u8 = 111;

struct Args {
    implicit: bool,
    prog: Vec<OsString>,
}

fn parse_args(args: &[OsString]) -> Option<Args> {
    let mut rest = args.get(1..)?;
    let mut implicit = false;
    while let Some((a, more)) = rest.split_first() {
        match a.to_str() {
            Some("-i") => implicit = true,
            Some("--") => {
                rest = more;
                break;
            }
            Some(s) if s.starts_with('-') => return None,
            _ => break,
        }
        rest = more;
    }
    if rest.is_empty() {
        return None;
    }
    Some(Args {
        implicit,
        prog: rest.to_vec(),
    })
}

/// The whole program; the exit status.
pub fn run(args: &[OsString]) -> u8 {
    let Some(args) = parse_args(args) else {
        log::line("usage: qmail-tlsd [ -i ] prog [ arg ... ]");
        return EXIT_USAGE;
    };
    if std::env::set_current_dir(auto::QMAIL).is_err() {
        log::line("fatal: unable to chdir to the qmail home");
        return EXIT_TEMP;
    }
    let child = match spawn::start(&args.prog, args.implicit) {
        Ok(c) => c,
        Err(e) => {
            log::line(&format!("fatal: {e}"));
            return EXIT_TEMP;
        }
    };
    // From here on: qmailt, never root.
    let timeout = match control::readint("control/timeoutsmtpd", DEFAULT_TIMEOUT) {
        Ok(0) => 1,
        Ok(t) => t,
        Err(_) => {
            log::line("fatal: unable to read controls");
            return EXIT_TEMP;
        }
    };
    let code = relay::run(child.fds, args.implicit, timeout);
    spawn::reap(child.child);
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(a: &[&str]) -> Option<(bool, Vec<String>)> {
        let v: Vec<OsString> = a.iter().map(OsString::from).collect();
        parse_args(&v).map(|a| {
            (
                a.implicit,
                a.prog
                    .iter()
                    .map(|s| s.to_string_lossy().into_owned())
                    .collect(),
            )
        })
    }

    #[test]
    fn args() {
        assert_eq!(p(&["t", "smtpd"]), Some((false, vec!["smtpd".into()])));
        assert_eq!(
            p(&["t", "-i", "smtpd", "-x"]),
            Some((true, vec!["smtpd".into(), "-x".into()]))
        );
        assert_eq!(p(&["t", "--", "-i"]), Some((false, vec!["-i".into()])));
        assert_eq!(p(&["t", "-i"]), None);
        assert_eq!(p(&["t", "-z", "smtpd"]), None);
        assert_eq!(p(&["t"]), None);
    }
}
