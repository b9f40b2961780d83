//! The accounts qmail-getpw would accept, from `getent passwd` (every NSS source that can
//! be listed; the same database getpwnam(3) asks).
use std::process::{Command, Stdio};

use qmail_core::users::NAME_MAX;

use crate::Error;

/// One passwd line's fields that matter here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: Vec<u8>,
    pub uid: u32,
    pub gid: u32,
    pub home: Vec<u8>,
}

/// The accounts qmail-getpw could ever answer with: getpwnam is called with a lowercase
/// name shorter than NAME_MAX, and the first entry of a name is the one it returns.
/// (The uid and home-owner checks are made by the caller.)
pub fn parse(text: &[u8]) -> Vec<Account> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for line in text.split(|&b| b == b'\n') {
        let f: Vec<&[u8]> = line.split(|&b| b == b':').collect();
        let (Some(name), Some(uid), Some(gid), Some(home)) =
            (f.first(), f.get(2), f.get(3), f.get(5))
        else {
            continue;
        };
        let (Some(uid), Some(gid)) = (number(uid), number(gid)) else {
            continue;
        };
        if name.is_empty()
            || name.len() >= NAME_MAX
            || name.to_ascii_lowercase() != *name
            || !seen.insert(name.to_vec())
        {
            continue;
        }
        out.push(Account {
            name: name.to_vec(),
            uid,
            gid,
            home: home.to_vec(),
        });
    }
    out
}

fn number(s: &[u8]) -> Option<u32> {
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// Every account `getent passwd` lists.
pub fn list() -> Result<Vec<Account>, Error> {
    let out = Command::new("getent")
        .arg("passwd")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Error::Getent(e.to_string()))?;
    if !out.status.success() {
        return Err(Error::Getent(format!("exit status {}", out.status)));
    }
    Ok(parse(&out.stdout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let a = parse(
            b"root:x:0:0:root:/root:/bin/sh\njoe:x:1000:100::/home/joe:/bin/sh\n\
              Upper:x:1001:100::/home/u:/bin/sh\njoe:x:1002:100::/home/joe2:/bin/sh\n\
              bad:x:zz:1::/h:\nshort:x:1\n",
        );
        let names: Vec<&[u8]> = a.iter().map(|a| a.name.as_slice()).collect();
        assert_eq!(names, vec![&b"root"[..], b"joe"]);
        assert_eq!(a[1].uid, 1000);
        assert_eq!(a[1].home, b"/home/joe");
    }
}
