//! Finding the user for a local part: users/cdb first (exact key
//! `!local\0`, then wildcard prefixes whose last character is a wildchar), else
//! qmail-getpw's lookup run as qmailp/nofiles. Errors are QLX exit codes, reported as
//! if qmail-local had exited with them.
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{Gid, Uid};
use qmail_core::getpw::System;

use qmail_core::cdb::Cdb;
use qmail_core::exit::Qlx;

/// The lookup's answer is six short fields; more than this is refused.
const GETPW_MAX: usize = 64 * 1024;

pub use qmail_core::users::User;

/// The six NUL-terminated fields `user uid gid home dash ext`.
pub fn parse(data: &[u8]) -> Result<User, u8> {
    qmail_core::users::parse(data).ok_or(Qlx::Usage.code())
}

/// users/cdb lookup; Ok(None) = no cdb or no match.
pub fn from_cdb(cdb_path: &Path, local: &[u8]) -> Result<Option<Vec<u8>>, u8> {
    let cdb = match Cdb::open(cdb_path) {
        Ok(c) => c,
        Err(e) if is_noent(&e) => return Ok(None),
        Err(_) => return Err(Qlx::Cdb.code()),
    };
    qmail_core::users::lookup(&cdb, local).map_err(|_| Qlx::Cdb.code())
}

fn is_noent(e: &qmail_core::cdb::CdbError) -> bool {
    matches!(e, qmail_core::cdb::CdbError::Io(_, io) if io.kind() == io::ErrorKind::NotFound)
}

/// qmail-getpw's lookup (qmail_core::getpw) in a child that first becomes qmailp with
/// only group nofiles, as qmail runs bin/qmail-getpw: the parsing of the passwd database
/// never runs as root. The child is a fork of this one, not an exec, so a delivery does not
/// pay for starting a dynamically linked program (the lookup must use the system's NSS).
/// Its exit code, if not 0, is ours. At most GETPW_MAX + 1 bytes of its answer are read.
pub fn from_getpw(local: &[u8], qmailp: u32, nofiles: u32) -> Result<Vec<u8>, u8> {
    let (r, w) = nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(|_| Qlx::ExecPw.code())?;
    let null = File::open("/dev/null").map_err(|_| Qlx::ExecPw.code())?;
    let err = io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .map_err(|_| Qlx::ExecPw.code())?;
    let local = local.to_vec();
    // The parent's write end closes when fork_run_bare returns, so the read below ends
    // when the child exits. The child keeps no other descriptor: neither the message nor
    // other deliveries' pipes are open to qmailp.
    let pid = qmail_sys::fork::fork_run_bare([null.into(), w, err], move || {
        lookup_as(&local, qmailp, nofiles)
    })
    .map_err(|_| Qlx::ExecPw.code())?;
    let mut out = Vec::new();
    let limit = u64::try_from(GETPW_MAX)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let read = File::from(r).take(limit).read_to_end(&mut out).is_ok();
    // The pipe is closed now: a child still writing gets EPIPE (or SIGPIPE) and ends.
    let status = loop {
        match waitpid(pid, None) {
            Err(Errno::EINTR) => continue,
            other => break other.map_err(|_| Qlx::Sys.code())?,
        }
    };
    if !read || out.len() > GETPW_MAX {
        return Err(Qlx::Sys.code());
    }
    match status {
        WaitStatus::Exited(_, 0) => Ok(out),
        WaitStatus::Exited(_, c) => Err(u8::try_from(c).unwrap_or(Qlx::Sys.code())),
        _ => Err(Qlx::Sys.code()),
    }
}

/// In the lookup child: qmailp, group nofiles and no other, then the answer on fd 1.
fn lookup_as(local: &[u8], qmailp: u32, nofiles: u32) -> u8 {
    let gid = Gid::from_raw(nofiles);
    let dropped = nix::unistd::setgroups(&[gid])
        .and_then(|()| nix::unistd::setgid(gid))
        .and_then(|()| nix::unistd::setuid(Uid::from_raw(qmailp)));
    if dropped.is_err() || nix::unistd::getuid().is_root() {
        return Qlx::ExecPw.code();
    }
    match qmail_core::getpw::getpw(&System, local) {
        // fd 1 directly: std's stdout may hold bytes the parent had buffered.
        Ok(n) => {
            let sent = qmail_sys::fd::take(1)
                .map(File::from)
                .and_then(|mut out| out.write_all(&n.to_bytes()));
            if sent.is_ok() {
                0
            } else {
                Qlx::Sys.code()
            }
        }
        Err(q) => q.code(),
    }
}

/// The user for `local`, from users/cdb or qmail-getpw's lookup.
pub fn get(home: &Path, local: &[u8], qmailp: u32, nofiles: u32) -> Result<User, u8> {
    let data = match from_cdb(&home.join("users/cdb"), local)? {
        Some(d) => d,
        None => from_getpw(local, qmailp, nofiles)?,
    };
    parse(&data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        let u =
            parse(b"joe\x001000\x00100\x00/home/joe\x00-\x00ext\x00").unwrap_or_else(|_| User {
                user: vec![],
                uid: 9,
                gid: 9,
                home: vec![],
                dash: vec![],
                ext: vec![],
            });
        assert_eq!(u.user, b"joe");
        assert_eq!((u.uid, u.gid), (1000, 100));
        assert_eq!(
            (u.home.as_slice(), u.dash.as_slice(), u.ext.as_slice()),
            (&b"/home/joe"[..], &b"-"[..], &b"ext"[..])
        );
        assert_eq!(
            parse(b"joe\x001000\x00100\x00/home/joe\x00-\x00ext"),
            Err(112)
        );
        assert_eq!(parse(b""), Err(112));
    }
}
