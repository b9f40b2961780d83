//! Quoting a mailbox for an RFC 821/822 envelope-style address: the local part is quoted
//! only when it has to be (qmail's quote/quote2). Bytes above 127 force quoting but get
//! no other encoding.

/// Bytes allowed in an unquoted local part: RFC 822 atom characters and the dot.
fn ok(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-./=?^_`{|}~".contains(&c)
}

/// Whether `s` must be written as a quoted string.
pub fn quote_need(s: &[u8]) -> bool {
    if s.is_empty() || !s.iter().all(|&c| ok(c)) {
        return true;
    }
    s.first() == Some(&b'.') || s.last() == Some(&b'.') || s.windows(2).any(|w| w == b"..")
}

/// `s` as is, or as a quoted string with CR, LF, `"` and `\` escaped.
pub fn quote(s: &[u8]) -> Vec<u8> {
    if !quote_need(s) {
        return s.to_vec();
    }
    let mut out = Vec::with_capacity(s.len().saturating_mul(2).saturating_add(2));
    out.push(b'"');
    for &c in s {
        if matches!(c, b'\r' | b'\n' | b'"' | b'\\') {
            out.push(b'\\');
        }
        out.push(c);
    }
    out.push(b'"');
    out
}

/// An address `local@domain` (split at the last `@`) with its local part quoted as needed;
/// without `@` the whole string is the local part. The empty string stays empty. Like the
/// C string it replaces, the address ends at a NUL byte.
pub fn quote2(s: &[u8]) -> Vec<u8> {
    let s = s.split(|&c| c == 0).next().unwrap_or_default();
    if s.is_empty() {
        return Vec::new();
    }
    match memchr::memrchr(b'@', s) {
        None => quote(s),
        Some(j) => {
            let (local, domain) = s.split_at(j);
            let mut out = quote(local);
            out.extend_from_slice(domain);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        assert_eq!(quote2(b"joe@x.y"), b"joe@x.y");
        assert_eq!(quote2(b"needs quoting@x"), b"\"needs quoting\"@x");
        assert_eq!(quote2(b"a@b@c"), b"\"a@b\"@c");
        assert_eq!(quote2(b".a@x"), b"\".a\"@x");
        assert_eq!(quote2(b"a..b"), b"\"a..b\"");
        assert_eq!(quote2(b""), b"");
        assert_eq!(quote2(b"@x"), b"\"\"@x");
        assert_eq!(quote2(b"a\"b\\"), b"\"a\\\"b\\\\\"");
        assert_eq!(quote2(b"a\0b@c"), b"a");
        assert!(quote_need(b"\xe9"));
        assert!(!quote_need(b"a.b+c-d"));
    }
}
