//! Quoting a mailbox for an RFC 821/822 envelope-style address: the local part is quoted
//! only when it has to be (qmail's quote/quote2). Bytes above 127 force quoting but get
//! no other encoding.

pub use qmail_core::quote::{quote, quote_need};

/// An address `local@domain` (split at the last `@`) with its local part quoted as needed;
/// without `@` the whole string is the local part. The empty string stays empty. Like the
/// C string it replaces, the address ends at a NUL byte.
pub fn quote2(s: &[u8]) -> Vec<u8> {
    let s = s.split(|&c| c == 0).next().unwrap_or_default();
    qmail_core::quote::quote2(s)
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
