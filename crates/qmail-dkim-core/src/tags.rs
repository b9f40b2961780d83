//! DKIM tag lists (RFC 6376 §3.2): `tag=value` separated by `;`, white space (folded or
//! not) around tags and values ignored, a final `;` allowed. Untrusted bytes: a
//! DKIM-Signature header field or a DNS TXT record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error("tag without =")]
    NoEquals,
    #[error("bad tag name")]
    BadName,
    #[error("duplicate tag")]
    Duplicate,
}

fn is_fws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !is_fws(*first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !is_fws(*last) {
            break;
        }
        s = rest;
    }
    s
}

/// A tag's name and value.
pub type Tag<'a> = (&'a [u8], &'a [u8]);

/// The tags in order; a duplicate name is an error (§3.2).
pub fn parse(text: &[u8]) -> Result<Vec<Tag<'_>>, TagError> {
    let mut out: Vec<Tag<'_>> = Vec::new();
    let mut parts: Vec<&[u8]> = text.split(|&b| b == b';').collect();
    if parts.last().is_some_and(|p| trim(p).is_empty()) {
        parts.pop();
    }
    for part in parts {
        let eq = memchr::memchr(b'=', part).ok_or(TagError::NoEquals)?;
        let name = trim(part.get(..eq).unwrap_or_default());
        let value = trim(part.get(eq.saturating_add(1)..).unwrap_or_default());
        let ok = name.first().is_some_and(u8::is_ascii_alphabetic)
            && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_');
        if !ok {
            return Err(TagError::BadName);
        }
        if out.iter().any(|(n, _)| *n == name) {
            return Err(TagError::Duplicate);
        }
        out.push((name, value));
    }
    Ok(out)
}

/// A tag's value.
pub fn get<'a>(tags: &[Tag<'a>], name: &[u8]) -> Option<&'a [u8]> {
    tags.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists() {
        let t = parse(b" v=1; a=rsa-sha256;\r\n\td=example.com ; b= ab\r\n cd;").unwrap();
        assert_eq!(get(&t, b"v"), Some(&b"1"[..]));
        assert_eq!(get(&t, b"d"), Some(&b"example.com"[..]));
        assert_eq!(get(&t, b"b"), Some(&b"ab\r\n cd"[..]));
        assert_eq!(parse(b"v=1; v=2"), Err(TagError::Duplicate));
        assert_eq!(parse(b"v"), Err(TagError::NoEquals));
        assert_eq!(parse(b"1v=1"), Err(TagError::BadName));
        assert_eq!(parse(b"").unwrap(), vec![]);
        assert_eq!(parse(b"p=").unwrap(), vec![(&b"p"[..], &b""[..])]);
    }
}
