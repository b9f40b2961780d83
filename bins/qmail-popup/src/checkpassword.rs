//! Run the checkpassword program: `user\0password\0timestamp\0` on its descriptor 3, the
//! client still on 0 and 1 (and on 2, so that what it or qmail-pop3d says to stderr
//! reaches the client, as with qmail). Its exit status decides: 0 means it served the
//! session itself (qmail-pop3d ran), anything else that the login failed.
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::os::fd::AsFd;
use std::process::Command;

use nix::fcntl::OFlag;

/// The checkpassword interface fixes the descriptor the child reads.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0: the session happened in the child.
    Served,
    /// The child was killed by a signal.
    Crashed,
    /// Nonzero exit (or the program could not be run): bad login.
    Refused,
    /// The status could not be collected.
    Lost,
    /// The descriptor-3 pipe could not be set up.
    Pipe,
    /// The pipe could not be written.
    Write,
    /// No process could be made.
    Fork,
}

/// Run `prog args` with the login data on descriptor 3 and wait for it.
pub fn check(prog: &OsStr, args: &[OsString], user: &[u8], pass: &[u8], stamp: &[u8]) -> Outcome {
    let Ok((r, w)) = nix::unistd::pipe2(OFlag::O_CLOEXEC) else {
        return Outcome::Pipe;
    };
    let mut w = File::from(w);
    // The client's output is the child's stderr too.
    let Ok(client_out) = std::io::stdout().as_fd().try_clone_to_owned() else {
        return Outcome::Pipe;
    };
    let mut cmd = Command::new(prog);
    cmd.args(args).stderr(client_out);
    if qmail_sys::childfd::on_spawn_fd(&mut cmd, r, qmail_core::checkpassword::FD).is_err() {
        return Outcome::Pipe;
    }
    let spawned = cmd.spawn();
    // the read end goes with the command: the child has the only copy
    drop(cmd);
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            return match e.raw_os_error() {
                Some(libc::EAGAIN | libc::ENOMEM) => Outcome::Fork,
                // qmail's child exits 1 when exec fails: a failed login.
                _ => Outcome::Refused,
            };
        }
    };
    let written = qmail_core::checkpassword::send(&mut w, user, pass, stamp);
    drop(w);
    if written.is_err() {
        let _ = child.wait();
        return Outcome::Write;
    }
    match child.wait() {
        Err(_) => Outcome::Lost,
        Ok(s) => match s.code() {
            Some(0) => Outcome::Served,
            Some(_) => Outcome::Refused,
            None => Outcome::Crashed,
        },
    }
}
