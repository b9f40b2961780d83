//! `users/uids`: the uids of alias, qmaild and qmails as the system's user database gave
//! them when qmail-setup last ran. qmail-queue names its caller from them in the Received
//! line ("invoked by alias", "from network", "for bounce"); reading them here instead of
//! resolving the names through NSS lets the setuid qmail-queue be a static program (without
//! the record it reads /etc/passwd, where qmail-setup creates the users, but no directory
//! service).
//! qmail 1.03 compiled the same numbers in at build time; notqmail resolves them at every
//! run. The file is trusted only when root owns it and nobody else may write it.
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use crate::auto;

/// The file, relative to the qmail home.
pub const PATH: &str = "users/uids";

/// Larger than any file qmail-setup writes; a larger one is not read.
pub const MAX: u64 = 4096;

/// The callers qmail-queue names; None for a user the file does not list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Uids {
    pub alias: Option<u32>,
    pub qmaild: Option<u32>,
    pub qmails: Option<u32>,
}

impl Uids {
    /// One `name:uid` line per user, in the order alias, qmaild, qmails.
    pub fn format(&self) -> Vec<u8> {
        let mut out = String::new();
        for (name, uid) in self.named() {
            if let Some(uid) = uid {
                out.push_str(&format!("{name}:{uid}\n"));
            }
        }
        out.into_bytes()
    }

    /// The recorded uid of the user `name` (alias, qmaild or qmails).
    pub fn get(&self, name: &str) -> Option<u32> {
        self.named()
            .into_iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, uid)| uid)
    }

    fn named(&self) -> [(&'static str, Option<u32>); 3] {
        [
            (auto::USER_ALIAS, self.alias),
            (auto::USER_DAEMON, self.qmaild),
            (auto::USER_SEND, self.qmails),
        ]
    }

    fn slot(&mut self, name: &[u8]) -> Option<&mut Option<u32>> {
        if name == auto::USER_ALIAS.as_bytes() {
            Some(&mut self.alias)
        } else if name == auto::USER_DAEMON.as_bytes() {
            Some(&mut self.qmaild)
        } else if name == auto::USER_SEND.as_bytes() {
            Some(&mut self.qmails)
        } else {
            None
        }
    }
}

/// Lines `name:uid`, each ending in LF, a uid being decimal digits that fit in 32 bits.
/// Names other than the three are skipped, so a later qmail-setup may record more. None
/// for anything else, or a name listed twice: a damaged file names nobody.
pub fn parse(data: &[u8]) -> Option<Uids> {
    let mut uids = Uids::default();
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    if data.is_empty() {
        return Some(uids);
    }
    if body.len() == data.len() {
        return None; // the last line has no LF: a file cut short
    }
    for line in body.split(|&b| b == b'\n') {
        let colon = memchr::memchr(b':', line)?;
        let (name, digits) = (line.get(..colon)?, line.get(colon.checked_add(1)?..)?);
        let uid = number(digits)?;
        if name.is_empty() {
            return None;
        }
        if let Some(slot) = uids.slot(name) {
            if slot.replace(uid).is_some() {
                return None;
            }
        }
    }
    Some(uids)
}

fn number(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 10 {
        return None;
    }
    let mut n: u32 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u32::from(d - b'0'))?;
    }
    Some(n)
}

/// The file at `path` if root owns it, it is a regular file no one but root may write, and
/// it parses; otherwise None (missing, untrusted or damaged: nobody is named).
pub fn read_trusted(path: &Path) -> Option<Uids> {
    // O_NONBLOCK: only root can put a FIFO there, but opening one must not hang.
    let mut f = File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(path)
        .ok()?;
    let meta = f.metadata().ok()?;
    if !meta.file_type().is_file() || meta.uid() != 0 || meta.mode() & 0o022 != 0 {
        return None;
    }
    if meta.len() > MAX {
        return None;
    }
    let mut data = vec![0u8; usize::try_from(meta.len()).ok()?];
    f.read_exact(&mut data).ok()?;
    parse(&data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let u = Uids {
            alias: Some(7790),
            qmaild: Some(7791),
            qmails: Some(7796),
        };
        assert_eq!(u.format(), b"alias:7790\nqmaild:7791\nqmails:7796\n");
        assert_eq!(parse(&u.format()), Some(u));
        let partial = Uids {
            qmaild: Some(0),
            ..Uids::default()
        };
        assert_eq!(parse(&partial.format()), Some(partial));
    }

    #[test]
    fn other_names_skipped() {
        let u = parse(b"qmailk:5\nqmaild:4294967295\n").unwrap();
        assert_eq!(u.qmaild, Some(u32::MAX));
        assert_eq!(u.alias, None);
        assert_eq!(parse(b""), Some(Uids::default()));
    }

    #[test]
    fn damaged_names_nobody() {
        for bad in [
            &b"qmaild:1"[..],
            b"qmaild:4294967296\n",
            b"qmaild:\n",
            b"qmaild:-1\n",
            b"qmaild: 1\n",
            b"qmaild:1\nqmaild:1\n",
            b":1\n",
            b"qmaild\n",
            b"\n",
            b"qmaild:1\n\n",
            b"qmaild:00000000001\n",
        ] {
            assert_eq!(parse(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    proptest::proptest! {
        /// Any bytes: parse never panics, and what it accepts formats back to lines that
        /// parse to the same uids.
        #[test]
        fn any_bytes(data in proptest::collection::vec(proptest::sample::select(
            b"aliasqmd:0123456789\n".to_vec()), 0..48)) {
            if let Some(u) = parse(&data) {
                proptest::prop_assert_eq!(parse(&u.format()), Some(u));
            }
        }

        #[test]
        fn recorded_uids_read_back(alias: Option<u32>, qmaild: Option<u32>, qmails: Option<u32>) {
            let u = Uids { alias, qmaild, qmails };
            proptest::prop_assert_eq!(parse(&u.format()), Some(u));
        }
    }
}
