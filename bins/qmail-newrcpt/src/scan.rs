//! Looking at home directories the way the delivery programs would: as the account that
//! owns them (qmail-local runs as the recipient, qmail-getpw as qmailp), never as root,
//! so that root's power does not change an answer. Only names and file types are read;
//! no `.qmail` file is opened.
use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;

use nix::unistd::{setegid, seteuid, setgroups, Gid, Uid};
use qmail_core::exit::errno_is_temp;

use crate::Error;

/// Run `f` with effective uid and gid `who` (and no other groups) when we are root;
/// as ourselves otherwise.
pub fn as_user<T>(who: (u32, u32), f: impl FnOnce() -> T) -> Result<T, Error> {
    if !nix::unistd::getuid().is_root() {
        return Ok(f());
    }
    let (uid, gid) = (Uid::from_raw(who.0), Gid::from_raw(who.1));
    setgroups(&[gid]).map_err(Error::Identity)?;
    setegid(gid).map_err(Error::Identity)?;
    seteuid(uid).map_err(Error::Identity)?;
    let r = f();
    seteuid(Uid::from_raw(0)).map_err(Error::Identity)?;
    setegid(Gid::from_raw(0)).map_err(Error::Identity)?;
    setgroups(&[Gid::from_raw(0)]).map_err(Error::Identity)?;
    Ok(r)
}

/// qmail-getpw's home check: Ok(true) if `home` belongs to `uid`. A temporary error is
/// an error here (qmail-getpw would defer the mail; we cannot say yes or no).
pub fn owned_by(home: &[u8], uid: u32) -> Result<bool, Error> {
    match std::fs::metadata(OsStr::from_bytes(home)) {
        Ok(m) => Ok(m.uid() == uid),
        Err(e) if e.raw_os_error().is_some_and(errno_is_temp) => {
            Err(Error::Stat(home.to_vec(), e.to_string()))
        }
        Err(_) => Ok(false),
    }
}

/// What qmail-local would find in a home directory.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Home {
    /// Names (starting with `.qmail`) that qmail-local would open or fail on.
    pub files: Vec<Vec<u8>>,
    /// Directories whose name starts with `.qmail`.
    pub dirs: Vec<Vec<u8>>,
}

/// Errors on opening a `.qmail` file that make qmail-local defer rather than skip it.
fn defers(e: &io::Error) -> bool {
    e.raw_os_error()
        .is_some_and(|n| errno_is_temp(n) || n == libc_eacces() || n == libc_eperm())
}

fn libc_eacces() -> i32 {
    nix::errno::Errno::EACCES as i32
}

fn libc_eperm() -> i32 {
    nix::errno::Errno::EPERM as i32
}

/// List `home`; None if it cannot be listed (then every address for it is accepted).
pub fn list(home: &[u8]) -> Option<Home> {
    let dir = std::path::Path::new(OsStr::from_bytes(home));
    let rd = std::fs::read_dir(dir).ok()?;
    let mut h = Home::default();
    for e in rd {
        let e = e.ok()?;
        let name = e.file_name().as_bytes().to_vec();
        if !name.starts_with(b".qmail") {
            continue;
        }
        match std::fs::metadata(e.path()) {
            Ok(m) if m.is_file() => h.files.push(name),
            Ok(m) if m.is_dir() => h.dirs.push(name),
            Ok(_) => {}
            Err(err) if defers(&err) => h.files.push(name),
            Err(_) => {}
        }
    }
    Some(h)
}
