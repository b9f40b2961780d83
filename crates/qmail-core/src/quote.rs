//! qmail's quote/quote2: an envelope address as it is written inside `<…>` in
//! a header line or an SMTP command. The local part (before the LAST `@`) is quoted only
//! when it is not a dot-atom; the domain is never touched. Bytes above 126 force quoting
//! but get no other encoding.

/// Bytes allowed in an unquoted local part: RFC 822 atom characters and the dot.
fn atom_ok(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-./=?^_`{|}~".contains(&c)
}

/// Whether the local part `s` must be written as a quoted string: it is empty, has a byte
/// outside the atom characters, or a dot at either end or twice in a row.
pub fn quote_need(s: &[u8]) -> bool {
    if s.is_empty() || !s.iter().all(|&c| atom_ok(c)) {
        return true;
    }
    s.first() == Some(&b'.') || s.last() == Some(&b'.') || s.windows(2).any(|w| w == b"..")
}

/// The local part `s` as is, or as `"…"` with `\` before CR, LF, `"` and `\`.
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

/// An address with the part before its last `@` quoted as needed and the domain (with the
/// `@`) as is; without `@` the whole address is the local part. The empty address (the
/// bounce sender) stays empty.
pub fn quote2(addr: &[u8]) -> Vec<u8> {
    if addr.is_empty() {
        return Vec::new();
    }
    match memchr::memrchr(b'@', addr) {
        None => quote(addr),
        Some(at) => {
            let (local, domain) = addr.split_at(at);
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
    fn need() {
        assert!(quote_need(b""));
        assert!(quote_need(b"\xe9"));
        assert!(quote_need(b"a b"));
        assert!(quote_need(b"a\x7f"));
        assert!(quote_need(b".a") && quote_need(b"a.") && quote_need(b"a..b"));
        for special in b"\"(),:;<>@[\\]" {
            assert!(quote_need(&[b'a', *special]), "{}", *special as char);
        }
        assert!(!quote_need(b"a.b+c-d"));
        assert!(!quote_need(b"!#$%&'*+-./=?^_`{|}~09AZaz"));
    }

    #[test]
    fn quoting() {
        assert_eq!(quote(b"MAILER-DAEMON"), b"MAILER-DAEMON");
        assert_eq!(quote(b""), b"\"\"");
        assert_eq!(quote(b"a\"\\\r\n"), b"\"a\\\"\\\\\\\r\\\n\"");
        assert_eq!(quote2(b""), b"");
        assert_eq!(quote2(b"#@[]"), b"#@[]");
        assert_eq!(quote2(b"@x"), b"\"\"@x");
        assert_eq!(quote2(b"a b@c d"), b"\"a b\"@c d");
        assert_eq!(quote2(b"x@y@z"), b"\"x@y\"@z");
        assert_eq!(quote2(b"a b"), b"\"a b\"");
        assert_eq!(quote2(b"nodomain"), b"nodomain");
    }
}
