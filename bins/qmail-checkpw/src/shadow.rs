//! /etc/shadow, or a site password file in the same form (`name:hash`, more fields
//! ignored): the stored hash of one name.
use std::io::Read;

const SHADOW: &str = "/etc/shadow";
/// No shadow file of a real system is bigger.
const SHADOW_MAX: u64 = 16 << 20;

/// The hash field of `user`'s line. Err(1) when there is none or the account is locked
/// (`!…`, `*`, empty), Err(111) when the file cannot be read.
pub fn hash_of(user: &[u8]) -> Result<Vec<u8>, u8> {
    hash_in(std::path::Path::new(SHADOW), user)
}

/// [`hash_of`] in another file of the same form.
pub fn hash_in(path: &std::path::Path, user: &[u8]) -> Result<Vec<u8>, u8> {
    let f = std::fs::File::open(path).map_err(|_| 111u8)?;
    let mut text = Vec::new();
    f.take(SHADOW_MAX)
        .read_to_end(&mut text)
        .map_err(|_| 111u8)?;
    let found = find(&text, user);
    text.fill(0);
    std::hint::black_box(&text);
    found.ok_or(1)
}

/// The usable hash of `user` in shadow-file `text`.
pub fn find(text: &[u8], user: &[u8]) -> Option<Vec<u8>> {
    text.split(|&b| b == b'\n').find_map(|line| {
        let mut f = line.split(|&b| b == b':');
        if f.next()? != user {
            return None;
        }
        let hash = f.next()?;
        // Locked, disabled or passwordless accounts never log in here.
        if hash.is_empty() || hash.first() == Some(&b'!') || hash.first() == Some(&b'*') {
            return None;
        }
        Some(hash.to_vec())
    })
}

/// Equal, in time that does not depend on where they differ.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let t =
            b"root:*:1::::::\nalice:$y$j9T$abc$def:19000:0:99999:7:::\nbob:!$y$x:1::\nnopw::1::\n";
        assert_eq!(find(t, b"alice").as_deref(), Some(&b"$y$j9T$abc$def"[..]));
        assert_eq!(find(t, b"bob"), None);
        assert_eq!(find(t, b"nopw"), None);
        assert_eq!(find(t, b"root"), None);
        assert_eq!(find(t, b"carol"), None);
        assert_eq!(find(t, b"ali"), None);
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
    }
}
