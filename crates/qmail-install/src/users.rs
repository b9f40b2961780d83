//! The qmail users and groups (conf-users, conf-groups), created with the system's
//! groupadd and useradd as system accounts when they are missing. Existing accounts are
//! left exactly as they are.
use std::io::Write;
use std::path::Path;
use std::process::Command;

use nix::unistd::{Group, User};
use qmail_core::auto;

use crate::setup::SetupError;

/// (user, its primary group, its home relative to the qmail home), as in qmail's INSTALL.ids.
const USERS: &[(&str, &str, &str)] = &[
    (auto::USER_ALIAS, auto::GROUP_NOFILES, "alias"),
    (auto::USER_DAEMON, auto::GROUP_NOFILES, ""),
    (auto::USER_LOG, auto::GROUP_NOFILES, ""),
    (auto::USER_PASSWD, auto::GROUP_NOFILES, ""),
    (auto::USER_QUEUE, auto::GROUP_QMAIL, ""),
    (auto::USER_REMOTE, auto::GROUP_QMAIL, ""),
    (auto::USER_SEND, auto::GROUP_QMAIL, ""),
    (auto::USER_TLS, auto::GROUP_NOFILES, ""),
    (auto::USER_DKIM, auto::GROUP_NOFILES, ""),
];

fn shell() -> &'static str {
    if Path::new("/usr/sbin/nologin").exists() {
        "/usr/sbin/nologin"
    } else {
        "/bin/false"
    }
}

/// Run groupadd or useradd. Several qmail-setups may run at once (the e2e tests on a new
/// machine): when the command fails because another one just made the account (or held
/// /etc/passwd's lock), the account's existence is what counts; one retry a second later.
fn add(
    mut cmd: impl FnMut() -> std::io::Result<std::process::ExitStatus>,
    what: &str,
    exists: impl Fn() -> bool,
) -> Result<(), SetupError> {
    let mut last = String::new();
    for attempt in 0..2 {
        if attempt > 0 {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
        match cmd() {
            Ok(s) if s.success() => return Ok(()),
            Ok(s) => last = format!("{what} failed: {s}"),
            Err(e) => {
                return Err(SetupError::Account(format!(
                    "unable to run {what}: {}",
                    qmail_core::errstr::errstr(&e)
                )))
            }
        }
        if exists() {
            return Ok(());
        }
    }
    Err(SetupError::Account(last))
}

/// Create whatever group or user is missing.
pub fn ensure(out: &mut impl Write) -> Result<(), SetupError> {
    for g in [auto::GROUP_QMAIL, auto::GROUP_NOFILES] {
        if !matches!(Group::from_name(g), Ok(Some(_))) {
            add(
                || Command::new("groupadd").arg("-r").arg(g).status(),
                &format!("groupadd {g}"),
                || matches!(Group::from_name(g), Ok(Some(_))),
            )?;
            let _ = writeln!(out, "qmail-setup: created group {g}");
        }
    }
    if !matches!(User::from_name(auto::USER_OWNER), Ok(Some(_))) {
        return Err(SetupError::Account(format!(
            "user {} does not exist",
            auto::USER_OWNER
        )));
    }
    for &(name, group, home) in USERS {
        if matches!(User::from_name(name), Ok(Some(_))) {
            continue;
        }
        let home = qmail_hier::full(Path::new(auto::QMAIL), home);
        add(
            || {
                Command::new("useradd")
                    .args(["-r", "-M", "-g", group, "-s", shell(), "-d"])
                    .arg(&home)
                    .arg(name)
                    .status()
            },
            &format!("useradd {name}"),
            || matches!(User::from_name(name), Ok(Some(_))),
        )?;
        let _ = writeln!(out, "qmail-setup: created user {name}");
    }
    Ok(())
}
