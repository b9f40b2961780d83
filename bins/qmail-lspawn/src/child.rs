//! The per-delivery child, still root: find the user, drop to the
//! user's uid and gid with no other groups, and become bin/qmail-local. Every failure is an
//! exit code the parent's report table knows (QLX).
use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::unistd::{Gid, Uid};
use qmail_core::auto;
use qmail_core::exit::{errno_is_temp, Qlx};

use crate::nughde;

fn cstr(b: &[u8]) -> Result<CString, u8> {
    CString::new(b).map_err(|_| Qlx::Usage.code())
}

/// In the forked child: deliver to `local`@`domain`; `getpw_ids` are qmailp's uid and
/// nofiles' gid (None: unknown). Returns (an exit code) only on failure.
pub fn run(
    local: &[u8],
    domain: &[u8],
    sender: &[u8],
    dd: &OsStr,
    getpw_ids: Option<(u32, u32)>,
) -> u8 {
    match deliver(local, domain, sender, dd.as_bytes(), getpw_ids) {
        Ok(never) => match never {},
        Err(code) => code,
    }
}

fn deliver(
    local: &[u8],
    domain: &[u8],
    sender: &[u8],
    dd: &[u8],
    getpw_ids: Option<(u32, u32)>,
) -> Result<std::convert::Infallible, u8> {
    std::env::set_current_dir(auto::QMAIL).map_err(|_| Qlx::Usage.code())?;
    let (qmailp, nofiles) = getpw_ids.ok_or(Qlx::Sys.code())?;
    let u = nughde::get(Path::new("."), local, qmailp, nofiles)?;
    let argv = [
        cstr(b"bin/qmail-local")?,
        cstr(b"--")?,
        cstr(&u.user)?,
        cstr(&u.home)?,
        cstr(local)?,
        cstr(&u.dash)?,
        cstr(&u.ext)?,
        cstr(domain)?,
        cstr(sender)?,
        cstr(dd)?,
    ];
    let gid = Gid::from_raw(u.gid);
    // Groups, then gid, then uid: once the uid is gone nothing else can be changed.
    nix::unistd::setgroups(&[gid]).map_err(|_| Qlx::Usage.code())?;
    nix::unistd::setgid(gid).map_err(|_| Qlx::Usage.code())?;
    nix::unistd::setuid(Uid::from_raw(u.uid)).map_err(|_| Qlx::Usage.code())?;
    if nix::unistd::getuid().is_root() {
        return Err(Qlx::Root.code());
    }
    let e = match nix::unistd::execv(&argv[0], &argv) {
        Ok(never) => match never {},
        Err(e) => e,
    };
    Err(if errno_is_temp(e as i32) {
        Qlx::ExecSoft.code()
    } else {
        Qlx::ExecHard.code()
    })
}
