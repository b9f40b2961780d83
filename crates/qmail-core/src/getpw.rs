//! qmail-getpw's lookup (qmail-getpw(8)): which account controls a local part. Shared by
//! the qmail-getpw program and qmail-lspawn, which runs it in a child that has become
//! qmailp (group nofiles) first, as qmail runs bin/qmail-getpw, without executing a program
//! for every delivery.
//!
//! The longest prefix of LOCAL that ends at a break character (or the end) and names a
//! valid account wins: lowercased, shorter than 32 bytes, uid not 0, a home directory that
//! exists and belongs to the account. Otherwise the alias user gets the whole address as
//! its extension. Errors are qmail-lspawn's exit codes (qlx): 115 NFS trouble, 116 no alias
//! user, 118 temporary trouble.

use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::auto;
use crate::exit::{errno_is_temp, Qlx};
use crate::users::account_prefixes;
use nix::errno::Errno;
use nix::unistd::User;

/// What passwd says about an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pw {
    pub name: Vec<u8>,
    pub uid: u32,
    pub gid: u32,
    pub home: Vec<u8>,
}

/// The answer: the account plus dash and extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nughde {
    pub pw: Pw,
    pub dash: &'static [u8],
    pub ext: Vec<u8>,
}

impl Nughde {
    /// Six NUL-terminated fields.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        for f in [
            &self.pw.name[..],
            self.pw.uid.to_string().as_bytes(),
            self.pw.gid.to_string().as_bytes(),
            &self.pw.home,
            self.dash,
            &self.ext,
        ] {
            v.extend_from_slice(f);
            v.push(0);
        }
        v
    }
}

/// Looks an account up: Err(errno) only for lookup trouble.
pub trait Passwd {
    fn getpwnam(&self, name: &[u8]) -> Result<Option<Pw>, Errno>;
    /// Owner uid of a directory.
    fn owner(&self, path: &[u8]) -> io::Result<u32>;
}

/// getpwnam_r's answer: Ok(None) only for "no such user" (no entry, or ENOENT/ESRCH,
/// which some NSS modules give for it). Any other error (an unreadable passwd file, a
/// directory server that does not answer, ETXTBSY…) is a temporary failure: the mail
/// must wait, not go to the alias user or bounce. (qmail treats all but ETXTBSY as "no
/// such user".)
fn lookup(db: &impl Passwd, name: &[u8]) -> Result<Option<Pw>, Qlx> {
    match db.getpwnam(name) {
        Ok(pw) => Ok(pw),
        Err(Errno::ENOENT | Errno::ESRCH) => Ok(None),
        Err(_) => Err(Qlx::Sys),
    }
}

fn check(db: &impl Passwd, name: &[u8]) -> Result<Option<Pw>, Qlx> {
    let pw = match lookup(db, name)? {
        Some(pw) if pw.uid != 0 => pw,
        _ => return Ok(None),
    };
    match db.owner(&pw.home) {
        Ok(uid) if uid == pw.uid => Ok(Some(pw)),
        Ok(_) => Ok(None),
        Err(e) if e.raw_os_error().is_some_and(errno_is_temp) => Err(Qlx::Nfs),
        Err(_) => Ok(None),
    }
}

pub fn getpw(db: &impl Passwd, local: &[u8]) -> Result<Nughde, Qlx> {
    for len in account_prefixes(local) {
        let name = local.get(..len).unwrap_or(b"").to_ascii_lowercase();
        if let Some(pw) = check(db, &name)? {
            let ext = local.get(len.saturating_add(1)..).unwrap_or(b"").to_vec();
            let dash: &[u8] = if len == local.len() { b"" } else { b"-" };
            return Ok(Nughde { pw, dash, ext });
        }
    }
    match lookup(db, auto::USER_ALIAS.as_bytes())? {
        Some(pw) => Ok(Nughde {
            pw,
            dash: b"-",
            ext: local.to_vec(),
        }),
        None => Err(Qlx::NoAlias),
    }
}

/// The system's passwd database and file system.
pub struct System;

impl Passwd for System {
    fn getpwnam(&self, name: &[u8]) -> Result<Option<Pw>, Errno> {
        let Ok(name) = std::str::from_utf8(name) else {
            return Ok(None);
        };
        if name.is_empty() {
            return Ok(None);
        }
        Ok(User::from_name(name)?.map(|u| Pw {
            name: u.name.into_bytes(),
            uid: u.uid.as_raw(),
            gid: u.gid.as_raw(),
            home: u.dir.into_os_string().into_vec(),
        }))
    }

    fn owner(&self, path: &[u8]) -> io::Result<u32> {
        Ok(std::fs::metadata(Path::new(std::ffi::OsStr::from_bytes(path)))?.uid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake(Vec<(Pw, io::Result<u32>)>);

    fn pw(name: &str, uid: u32) -> Pw {
        Pw {
            name: name.into(),
            uid,
            gid: 7,
            home: format!("/home/{name}").into_bytes(),
        }
    }

    impl Passwd for Fake {
        fn getpwnam(&self, name: &[u8]) -> Result<Option<Pw>, Errno> {
            if name == b"busy" {
                return Err(Errno::ETXTBSY);
            }
            // an LDAP server that does not answer, a passwd file that cannot be read
            if name == b"ldapdown" || name == b"ldapdown-x" {
                return Err(Errno::EIO);
            }
            if name == b"unreadable" {
                return Err(Errno::EACCES);
            }
            // what some NSS modules say for "no such user"
            if name == b"enoent" {
                return Err(Errno::ENOENT);
            }
            Ok(self
                .0
                .iter()
                .find(|(p, _)| p.name == name)
                .map(|(p, _)| p.clone()))
        }
        fn owner(&self, path: &[u8]) -> io::Result<u32> {
            match self.0.iter().find(|(p, _)| p.home == path).map(|(_, o)| o) {
                Some(Ok(u)) => Ok(*u),
                Some(Err(e)) => Err(io::Error::from_raw_os_error(e.raw_os_error().unwrap_or(0))),
                None => Err(io::Error::from_raw_os_error(libc_enoent())),
            }
        }
    }

    fn libc_enoent() -> i32 {
        Errno::ENOENT as i32
    }

    fn db() -> Fake {
        Fake(vec![
            (pw("joe", 100), Ok(100)),
            (pw("joe-a", 101), Ok(101)),
            (pw("alias", 50), Ok(50)),
            (pw("root", 0), Ok(0)),
            (pw("notmine", 102), Ok(999)),
            (
                pw("nfs", 103),
                Err(io::Error::from_raw_os_error(Errno::ESTALE as i32)),
            ),
            (
                pw("gone", 104),
                Err(io::Error::from_raw_os_error(Errno::ENOENT as i32)),
            ),
        ])
    }

    fn ask(local: &str) -> Result<(String, &'static [u8], String), Qlx> {
        getpw(&db(), local.as_bytes()).map(|n| {
            (
                String::from_utf8(n.pw.name).unwrap(),
                n.dash,
                String::from_utf8(n.ext).unwrap(),
            )
        })
    }

    #[test]
    fn longest_valid_prefix_wins() {
        assert_eq!(ask("joe"), Ok(("joe".into(), &b""[..], "".into())));
        assert_eq!(
            ask("Joe-Foo-Bar"),
            Ok(("joe".into(), &b"-"[..], "Foo-Bar".into()))
        );
        assert_eq!(ask("joe-a-b"), Ok(("joe-a".into(), &b"-"[..], "b".into())));
        assert_eq!(ask("joe-a"), Ok(("joe-a".into(), &b""[..], "".into())));
        assert_eq!(ask("joe-"), Ok(("joe".into(), &b"-"[..], "".into())));
    }

    #[test]
    fn invalid_accounts_fall_to_alias() {
        for l in ["root", "notmine", "gone-x", "Nobody.Here", "-joe"] {
            assert_eq!(ask(l), Ok(("alias".into(), &b"-"[..], l.into())), "{l}");
        }
        let long = format!("joe{}", "x".repeat(40));
        assert_eq!(ask(&long).unwrap().0, "alias");
    }

    #[test]
    fn trouble_is_reported() {
        assert_eq!(ask("nfs"), Err(Qlx::Nfs));
        assert_eq!(ask("busy"), Err(Qlx::Sys));
        let no_alias = Fake(vec![(pw("joe", 100), Ok(100))]);
        assert_eq!(getpw(&no_alias, b"x").unwrap_err(), Qlx::NoAlias);
    }

    /// A lookup that fails (not "no such user") is a temporary failure: the mail must not
    /// go to the alias user, nor bounce, because a directory server was down.
    #[test]
    fn lookup_errors_are_temporary_not_alias() {
        assert_eq!(ask("ldapdown"), Err(Qlx::Sys));
        assert_eq!(ask("ldapdown-x"), Err(Qlx::Sys));
        assert_eq!(ask("unreadable"), Err(Qlx::Sys));
        // "not found" in errno form still means not found
        assert_eq!(ask("enoent").unwrap().0, "alias");
    }

    #[test]
    fn output_fields() {
        let n = getpw(&db(), b"joe-X").unwrap();
        assert_eq!(n.to_bytes(), b"joe\x00100\x007\0/home/joe\0-\0X\0");
    }
}
