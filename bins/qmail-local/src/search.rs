//! Finding the `.qmail` file for an address, and the owner files that change the
//! forwarding sender.
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

use qmail_core::auto;

use crate::die::{self, is_temp, Fatal};
use crate::env::Args;
use qmail_local_core::dotqmail::{candidates, safe_ext};

/// A `.qmail` file bigger than this is not read (it is the user's own file; qmail has no
/// limit, but memory is not unbounded).
const QMAIL_MAX: u64 = 16 * 1024 * 1024;

/// The `.qmail` file that controls this delivery.
#[derive(Debug)]
pub struct Found {
    pub name: Vec<u8>,
    /// `$DEFAULT`, for a `-default` file.
    pub default: Option<Vec<u8>>,
    /// The owner-execute bit: the file may only forward.
    pub forward_only: bool,
    pub contents: Vec<u8>,
}

fn hard_open_error(e: &io::Error) -> bool {
    is_temp(e) || matches!(e.raw_os_error(), Some(libc::EPERM | libc::EACCES))
}

/// Open `name` if it is a regular file; None if it does not count as existing.
fn open_regular(name: &[u8]) -> Result<Option<(File, u32)>, Fatal> {
    let f = match File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(OsStr::from_bytes(name))
    {
        Ok(f) => f,
        Err(e) if hard_open_error(&e) => return Err(die::open_qmail(name, &e)),
        Err(_) => return Ok(None),
    };
    let meta = f.metadata().map_err(|e| die::open_qmail(name, &e))?;
    if !meta.is_file() {
        return Ok(None);
    }
    Ok(Some((f, meta.permissions().mode())))
}

/// The first candidate that exists (in the current directory, the home directory).
pub fn find(dash: &[u8], ext: &[u8]) -> Result<Option<Found>, Fatal> {
    for c in candidates(dash, ext) {
        let Some((f, mode)) = open_regular(&c.name)? else {
            continue;
        };
        if mode & auto::PATRN != 0 {
            return Err(die::qmail_writable());
        }
        let mut contents = Vec::new();
        f.take(QMAIL_MAX)
            .read_to_end(&mut contents)
            .map_err(|e| die::read_qmail(&c.name, &e))?;
        return Ok(Some(Found {
            name: c.name,
            default: c.default,
            forward_only: mode & 0o100 != 0,
            contents,
        }));
    }
    Ok(None)
}

fn exists(name: &[u8]) -> Result<bool, Fatal> {
    match std::fs::metadata(OsStr::from_bytes(name)) {
        Ok(_) => Ok(true),
        Err(e) if is_temp(&e) => Err(die::open_qmail(name, &e)),
        Err(_) => Ok(false),
    }
}

/// NEWSENDER: the sender, unless this address has an owner (`.qmail…-owner`); then the
/// owner address, or with `…-owner-default` too a VERP owner address (`-@[]`) that
/// qmail-send expands per recipient. Bounces keep their empty or `#@[]` sender.
pub fn newsender_with(
    a: &Args,
    exists: impl Fn(&[u8]) -> Result<bool, Fatal>,
) -> Result<Vec<u8>, Fatal> {
    if a.sender.is_empty() || a.sender == b"#@[]" {
        return Ok(a.sender.clone());
    }
    let owner = [&b".qmail"[..], &a.dash, &safe_ext(&a.ext), b"-owner"].concat();
    if !exists(&owner)? {
        return Ok(a.sender.clone());
    }
    let verp = exists(&[&owner[..], b"-default"].concat())?;
    let tail: &[u8] = if verp { b"-owner-@" } else { b"-owner@" };
    let mut v = [&a.local[..], tail, &a.host].concat();
    if verp {
        v.extend_from_slice(b"-@[]");
    }
    Ok(v)
}

pub fn newsender(a: &Args) -> Result<Vec<u8>, Fatal> {
    newsender_with(a, exists)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(sender: &str, ext: &str) -> Args {
        Args {
            user: b"joe".to_vec(),
            home: b"/home/joe".to_vec(),
            local: format!("joe-{ext}").into_bytes(),
            dash: b"-".to_vec(),
            ext: ext.into(),
            host: b"example.com".to_vec(),
            sender: sender.into(),
            default_delivery: b"./Mailbox".to_vec(),
        }
    }

    #[test]
    fn newsender_rules() {
        let none = |_: &[u8]| Ok(false);
        let owner = |n: &[u8]| Ok(n == b".qmail-list-owner");
        let verp = |n: &[u8]| Ok(n == b".qmail-list-owner" || n == b".qmail-list-owner-default");
        assert_eq!(newsender_with(&args("a@b", "list"), none).unwrap(), b"a@b");
        assert_eq!(
            newsender_with(&args("a@b", "list"), owner).unwrap(),
            b"joe-list-owner@example.com"
        );
        assert_eq!(
            newsender_with(&args("a@b", "list"), verp).unwrap(),
            b"joe-list-owner-@example.com-@[]"
        );
        assert_eq!(newsender_with(&args("", "list"), verp).unwrap(), b"");
        assert_eq!(
            newsender_with(&args("#@[]", "list"), verp).unwrap(),
            b"#@[]"
        );
        // owner files are named after the full (lowercased) extension
        assert_eq!(
            newsender_with(&args("a@b", "List"), owner).unwrap(),
            b"joe-List-owner@example.com"
        );
        let only_default_owner = |n: &[u8]| Ok(n == b".qmail-list-default-owner");
        assert_eq!(
            newsender_with(&args("a@b", "list-x"), only_default_owner).unwrap(),
            b"a@b"
        );
    }
}
