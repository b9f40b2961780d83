//! SMTP AUTH through the checkpassword interface (the one qmail-popup uses): the program
//! named on qmail-smtpd's command line gets `user\0password\0timestamp\0` on descriptor 3,
//! nothing on 0 and 1 (never the client), qmail-smtpd's stderr (the log) as 2. Exit 0
//! means the name and password are good, 1 that they are not, anything else is a
//! temporary failure.
use std::ffi::OsString;
use std::fs::File;
use std::io::Write;
use std::process::{Command, Stdio};

use nix::fcntl::OFlag;
use qmail_smtp::AuthResult;

/// Seconds to wait before answering a failed attempt, so guessing is slow.
pub const FAIL_DELAY: u64 = 2;

/// Ask `argv` (checkpassword and its arguments) about `user` and `pass`.
pub fn check(argv: &[OsString], user: &[u8], pass: &[u8], stamp: &[u8]) -> AuthResult {
    let Some((prog, args)) = argv.split_first() else {
        return AuthResult::Temp;
    };
    let Ok((r, w)) = nix::unistd::pipe2(OFlag::O_CLOEXEC) else {
        return AuthResult::Temp;
    };
    let mut w = File::from(w);
    let mut cmd = Command::new(prog);
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::null());
    if qmail_sys::childfd::on_spawn_fd(&mut cmd, r, qmail_core::checkpassword::FD).is_err() {
        return AuthResult::Temp;
    }
    let spawned = cmd.spawn();
    drop(cmd);
    let Ok(mut child) = spawned else {
        return AuthResult::Temp;
    };
    let written = qmail_core::checkpassword::send(&mut w, user, pass, stamp);
    drop(w);
    let status = child.wait();
    if written.is_err() {
        return AuthResult::Temp;
    }
    match status.ok().and_then(|s| s.code()) {
        Some(0) => AuthResult::Ok,
        Some(1) => AuthResult::Bad,
        _ => AuthResult::Temp,
    }
}

/// A name as the log shows it: printable ASCII, the rest as `?`, at most 100 bytes.
pub fn loggable(user: &[u8]) -> String {
    user.iter()
        .take(100)
        .map(|&b| {
            if b.is_ascii_graphic() {
                char::from(b)
            } else {
                '?'
            }
        })
        .collect()
}

/// The log line of an attempt, on descriptor 2 (tcpserver's log).
pub fn log(result: AuthResult, user: &[u8]) {
    let what = match result {
        AuthResult::Ok => "auth ok",
        AuthResult::Bad => "auth failed",
        AuthResult::Temp => "auth temporary failure",
    };
    let ip = std::env::var("TCPREMOTEIP").unwrap_or_else(|_| "unknown".into());
    let line = format!(
        "qmail-smtpd: pid {}: {what} for {} from {ip}\n",
        std::process::id(),
        loggable(user)
    );
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}
