//! qmail's quote/quote2: an envelope address as it is written inside `<…>` in
//! a header line or an SMTP command. The local part (before the LAST `@`) is quoted only
//! when it is not a dot-atom; the domain is never touched. Bytes above 126 force quoting
//! but get no other encoding.
//!
//! A CR or LF never comes out: written raw it would end the header or the SMTP command
//! and start one of the sender's choosing. qmail-queue refuses envelopes with them, so
//! only a queue written by something else can hold such an address; qmail-remote refuses
//! to send it ([`has_line_break`]), and in a header each becomes `_` (as qmail-local's
//! Return-Path always did).

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

/// Whether an address holds a CR or LF, which no SMTP command or header can carry (RFC
/// 5321 allows neither, even quoted).
pub fn has_line_break(addr: &[u8]) -> bool {
    memchr::memchr2(b'\r', b'\n', addr).is_some()
}

/// `b` with `_` for each CR and LF: for the parts of an address that are not quoted.
pub fn without_line_breaks(b: &[u8]) -> Vec<u8> {
    b.iter()
        .map(|&c| if c == b'\r' || c == b'\n' { b'_' } else { c })
        .collect()
}

/// The local part `s` as is, or as `"…"` with `\` before `"` and `\`, and `_` for each
/// CR and LF.
pub fn quote(s: &[u8]) -> Vec<u8> {
    if !quote_need(s) {
        return s.to_vec();
    }
    let mut out = Vec::with_capacity(s.len().saturating_mul(2).saturating_add(2));
    out.push(b'"');
    for &c in s {
        match c {
            b'\r' | b'\n' => out.push(b'_'),
            b'"' | b'\\' => out.extend_from_slice(&[b'\\', c]),
            _ => out.push(c),
        }
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
            out.extend(without_line_breaks(domain));
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
        assert_eq!(quote(b"a\"\\"), b"\"a\\\"\\\\\"");
        assert_eq!(quote2(b""), b"");
        assert_eq!(quote2(b"#@[]"), b"#@[]");
        assert_eq!(quote2(b"@x"), b"\"\"@x");
        assert_eq!(quote2(b"a b@c d"), b"\"a b\"@c d");
        assert_eq!(quote2(b"x@y@z"), b"\"x@y\"@z");
        assert_eq!(quote2(b"a b"), b"\"a b\"");
        assert_eq!(quote2(b"nodomain"), b"nodomain");
    }

    #[test]
    fn line_breaks_never_come_out() {
        assert_eq!(quote(b"a\r\nb"), b"\"a__b\"");
        assert_eq!(quote2(b"x\n@y"), b"\"x_\"@y");
        assert_eq!(quote2(b"x@y\r\nz"), b"x@y__z");
        assert!(has_line_break(b"a\rb") && has_line_break(b"\n"));
        assert!(!has_line_break(b"a b@c"));
    }

    proptest::proptest! {
        /// Whatever the address, quote2 writes no CR or LF, and quoting is needed
        /// exactly when the output differs from the local part.
        #[test]
        fn no_cr_lf_out(addr in proptest::collection::vec(proptest::num::u8::ANY, 0..80)) {
            let q = quote2(&addr);
            proptest::prop_assert!(!has_line_break(&q));
            if !has_line_break(&addr) {
                // without line breaks, unquoting gives the address back
                proptest::prop_assert_eq!(unquote2(&q), addr);
            }
        }
    }

    /// Undo quote2 (tests only): strip the quotes and backslashes of the local part.
    fn unquote2(q: &[u8]) -> Vec<u8> {
        if q.first() != Some(&b'"') {
            return q.to_vec();
        }
        let mut out = Vec::new();
        let mut i = 1;
        while i < q.len() {
            match q[i] {
                b'\\' => {
                    out.push(q[i + 1]);
                    i += 2;
                }
                b'"' => {
                    out.extend_from_slice(&q[i + 1..]);
                    break;
                }
                c => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        out
    }
}
