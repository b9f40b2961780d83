//! Envelope addresses as qmail-remote puts them in `MAIL FROM:<…>` and `RCPT TO:<…>`:
//! the local part (before the LAST `@`) is quoted the RFC 821 way when it needs it, the
//! domain is sent unchanged, and an address without `@` (the empty bounce sender, say)
//! goes out verbatim. No CNAME rewriting of domains (RFC 5321 §5.1; notqmail 2020).
use qmail_core::quote::{quote, without_line_breaks};

/// The address as it goes between the angle brackets.
pub fn mangle(addr: &[u8]) -> Vec<u8> {
    match memchr::memrchr(b'@', addr) {
        None => without_line_breaks(addr),
        Some(at) => {
            let (local, domain) = addr.split_at(at);
            let mut out = quote(local);
            out.extend(without_line_breaks(domain)); // keeps the '@'
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(mangle(b"joe@example.org"), b"joe@example.org");
        assert_eq!(mangle(b""), b"");
        assert_eq!(mangle(b"#@[]"), b"#@[]");
        assert_eq!(mangle(b"nodomain"), b"nodomain");
        assert_eq!(mangle(b"@example.org"), b"\"\"@example.org");
        assert_eq!(mangle(b"a b@x"), b"\"a b\"@x");
        assert_eq!(mangle(b"a@b@x"), b"\"a@b\"@x");
        assert_eq!(mangle(b".a@x"), b"\".a\"@x");
        assert_eq!(mangle(b"a.@x"), b"\"a.\"@x");
        assert_eq!(mangle(b"a..b@x"), b"\"a..b\"@x");
        assert_eq!(mangle(b"a.b-c+d@x"), b"a.b-c+d@x");
        assert_eq!(mangle(b"q\"\\@x"), b"\"q\\\"\\\\\"@x");
        assert_eq!(mangle(b"q\r\n@x"), b"\"q__\"@x");
        assert_eq!(mangle(b"q@x\r\nRSET"), b"q@x__RSET");
        assert_eq!(mangle(b"q\n"), b"q_");
        assert_eq!(mangle(b"\xe9@x"), b"\"\xe9\"@x");
        assert_eq!(mangle(b"a\x7f@x"), b"\"a\x7f\"@x");
        assert_eq!(mangle(b"x-@[]"), b"x-@[]");
    }
}
