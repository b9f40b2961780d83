//! Finding the user for a local part: users/cdb first (exact key
//! `!local\0`, then wildcard prefixes whose last character is a wildchar), else
//! `bin/qmail-getpw local` run as qmailp/nofiles. Errors are QLX exit codes, reported as
//! if qmail-local had exited with them.
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use qmail_core::cdb::Cdb;
use qmail_core::exit::Qlx;

/// qmail-getpw's answer is six short fields; more than this is refused.
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

/// Run qmail-getpw as qmailp with group nofiles; its exit code, if not 0, is ours. At most
/// GETPW_MAX + 1 bytes of its output are read (a compromised qmailp cannot make this root
/// process grow); more than GETPW_MAX is a temporary failure.
pub fn from_getpw(home: &Path, local: &[u8], qmailp: u32, nofiles: u32) -> Result<Vec<u8>, u8> {
    let mut child = Command::new(home.join("bin/qmail-getpw"))
        .arg0("bin/qmail-getpw")
        .current_dir(home)
        .arg(std::ffi::OsStr::from_bytes(local))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .gid(nofiles)
        .uid(qmailp)
        .spawn()
        .map_err(|_| Qlx::ExecPw.code())?;
    let mut out = Vec::new();
    let limit = u64::try_from(GETPW_MAX)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let read = match child.stdout.take() {
        Some(pipe) => pipe.take(limit).read_to_end(&mut out).is_ok(),
        None => false,
    };
    // The pipe is closed now: a qmail-getpw still writing gets EPIPE (or SIGPIPE) and ends.
    let status = child.wait().map_err(|_| Qlx::Sys.code())?;
    // Too much output is our refusal whatever the status (closing the pipe may have
    // killed qmail-getpw); it must not become qmail-getpw's permanent-looking exit code.
    if !read || out.len() > GETPW_MAX {
        return Err(Qlx::Sys.code());
    }
    match status.code() {
        None => Err(Qlx::Sys.code()),
        Some(0) => Ok(out),
        Some(c) => Err(u8::try_from(c).unwrap_or(Qlx::Sys.code())),
    }
}

/// The user for `local`, from users/cdb or qmail-getpw.
pub fn get(home: &Path, local: &[u8], qmailp: u32, nofiles: u32) -> Result<User, u8> {
    let data = match from_cdb(&home.join("users/cdb"), local)? {
        Some(d) => d,
        None => from_getpw(home, local, qmailp, nofiles)?,
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
