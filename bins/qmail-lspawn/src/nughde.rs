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

#[derive(Debug, PartialEq, Eq)]
pub struct User {
    pub user: Vec<u8>,
    pub uid: u32,
    pub gid: u32,
    pub home: Vec<u8>,
    pub dash: Vec<u8>,
    pub ext: Vec<u8>,
}

/// The six NUL-terminated fields `user uid gid home dash ext`.
pub fn parse(data: &[u8]) -> Result<User, u8> {
    let mut f = data.split(|&b| b == 0);
    let mut field = || f.next().map(<[u8]>::to_vec);
    let (Some(user), Some(uid), Some(gid), Some(home), Some(dash), Some(ext)) =
        (field(), field(), field(), field(), field(), field())
    else {
        return Err(Qlx::Usage.code());
    };
    // Six terminators: the split yields a seventh (possibly empty) piece.
    if data.iter().filter(|&&b| b == 0).count() < 6 {
        return Err(Qlx::Usage.code());
    }
    Ok(User {
        user,
        uid: scan(&uid),
        gid: scan(&gid),
        home,
        dash,
        ext,
    })
}

/// Leading decimal digits, like scan_ulong (an empty field is 0).
fn scan(s: &[u8]) -> u32 {
    let mut n: u32 = 0;
    for &b in s.iter().take_while(|b| b.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add(u32::from(b - b'0'));
    }
    n
}

/// users/cdb lookup; Ok(None) = no cdb or no match.
pub fn from_cdb(cdb_path: &Path, local: &[u8]) -> Result<Option<Vec<u8>>, u8> {
    let cdb = match Cdb::open(cdb_path) {
        Ok(c) => c,
        Err(e) if is_noent(&e) => return Ok(None),
        Err(_) => return Err(Qlx::Cdb.code()),
    };
    let cdb_err = |_| Qlx::Cdb.code();
    let wildchars = cdb.find(b"").map_err(cdb_err)?.ok_or(Qlx::Cdb.code())?;
    let mut lower = Vec::with_capacity(local.len().saturating_add(2));
    lower.push(b'!');
    lower.extend(local.iter().map(u8::to_ascii_lowercase));
    lower.push(0);
    let mut i = lower.len();
    let mut wild = false;
    while i > 0 {
        let last = lower.get(i.wrapping_sub(1)).copied().unwrap_or(0);
        if !wild || i == 1 || wildchars.contains(&last) {
            if let Some(mut data) = cdb.find(lower.get(..i).unwrap_or(&[])).map_err(cdb_err)? {
                if wild {
                    data.extend_from_slice(local.get(i - 1..).unwrap_or(&[]));
                }
                data.push(0);
                return Ok(Some(data));
            }
        }
        i -= 1;
        wild = true;
    }
    Ok(None)
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
