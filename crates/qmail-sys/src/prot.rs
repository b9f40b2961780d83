//! Dropping privileges in a child before it execs: setgroups, then setgid, then setuid,
//! in that order (a process that has given up root can no longer change its groups).
//! `std`'s own `CommandExt::uid/gid` clear the supplementary groups, and its
//! `groups()` is unstable, so a child that must keep a user's groups (qmail-rspawn
//! gets qmailr's, as notqmail gives it) uses this instead.
use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;

use nix::unistd::{Gid, Uid};

use crate::cvt::cvt;

/// Make `cmd`'s child run with exactly `groups` as supplementary groups, `gid` and `uid`.
pub fn on_spawn<'a>(cmd: &'a mut Command, uid: Uid, gid: Gid, groups: &[Gid]) -> &'a mut Command {
    // Built before fork: the child only reads it.
    let raw: Vec<libc::gid_t> = groups.iter().map(|g| g.as_raw()).collect();
    let (u, g) = (uid.as_raw(), gid.as_raw());
    let drop_privileges = move || -> io::Result<()> {
        // SAFETY: raw holds raw.len() initialised gid_t values and outlives the call.
        cvt(unsafe { libc::setgroups(raw.len(), raw.as_ptr()) })?;
        // SAFETY: setgid takes a plain integer.
        cvt(unsafe { libc::setgid(g) })?;
        // SAFETY: setuid takes a plain integer.
        cvt(unsafe { libc::setuid(u) })?;
        Ok(())
    };
    // SAFETY: the closure runs between fork and exec and calls only setgroups, setgid
    // and setuid, which are async-signal-safe; it allocates nothing (an error from cvt
    // is an OS error code, stored inline).
    unsafe { cmd.pre_exec(drop_privileges) }
}
