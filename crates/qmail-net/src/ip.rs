//! IPv4 addresses in qmail's text forms: dotted quads (`ip_scan`, `ip_fmt`) and address
//! literals in brackets (`ip_scanbracket`).
//!
//! Unlike qmail's ip_scan, a component above 255 is refused instead of being truncated
//! to its low byte, so `[127.0.0.257]` is not taken for `[127.0.0.1]`.
use std::fmt;

/// An IPv4 address in network byte order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ip4(pub [u8; 4]);

impl fmt::Display for Ip4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

impl From<std::net::Ipv4Addr> for Ip4 {
    fn from(a: std::net::Ipv4Addr) -> Ip4 {
        Ip4(a.octets())
    }
}

/// One decimal component: the value and how many digits it took.
fn component(s: &[u8]) -> Option<(u8, usize)> {
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let mut v: u32 = 0;
    for &b in s.get(..digits)? {
        v = v.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
        if v > 255 {
            return None;
        }
    }
    Some((u8::try_from(v).ok()?, digits))
}

/// A dotted quad at the start of `s`: the address and the number of bytes it used.
pub fn scan(s: &[u8]) -> Option<(Ip4, usize)> {
    let mut ip = [0u8; 4];
    let mut pos = 0usize;
    for (i, slot) in ip.iter_mut().enumerate() {
        if i > 0 {
            if s.get(pos) != Some(&b'.') {
                return None;
            }
            pos = pos.checked_add(1)?;
        }
        let (v, n) = component(s.get(pos..)?)?;
        *slot = v;
        pos = pos.checked_add(n)?;
    }
    Some((Ip4(ip), pos))
}

/// `[a.b.c.d]` at the start of `s`: the address and the number of bytes used, brackets
/// included.
pub fn scan_bracket(s: &[u8]) -> Option<(Ip4, usize)> {
    if s.first() != Some(&b'[') {
        return None;
    }
    let (ip, n) = scan(s.get(1..)?)?;
    let close = n.checked_add(1)?;
    if s.get(close) != Some(&b']') {
        return None;
    }
    Some((ip, close.checked_add(1)?))
}

/// The whole of `s` is an address literal `[a.b.c.d]`.
pub fn parse_bracket(s: &[u8]) -> Option<Ip4> {
    match scan_bracket(s) {
        Some((ip, n)) if n == s.len() => Some(ip),
        _ => None,
    }
}

/// `[IPv6:…]`, the whole of `s` (RFC 5321 §4.1.3; the tag without regard to case).
pub fn parse_bracket6(s: &[u8]) -> Option<std::net::Ipv6Addr> {
    let inner = s.strip_prefix(b"[")?.strip_suffix(b"]")?;
    let (tag, addr) = inner.split_at_checked(5)?;
    if !tag.eq_ignore_ascii_case(b"IPv6:") {
        return None;
    }
    std::str::from_utf8(addr).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_literals() {
        let p = |s: &str| parse_bracket6(s.as_bytes()).map(|a| a.to_string());
        assert_eq!(p("[IPv6:::1]").as_deref(), Some("::1"));
        assert_eq!(p("[ipv6:2001:DB8::25]").as_deref(), Some("2001:db8::25"));
        assert_eq!(
            p("[IPv6:2001:db8:0:0:0:0:0:1]").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(
            p("[IPv6:::ffff:192.0.2.1]").as_deref(),
            Some("::ffff:192.0.2.1")
        );
        for bad in [
            "[IPv6:]",
            "[IPv6:1::2::3]",
            "[IPv6:fe80::1%lo]",
            "[IPv6:::1",
            "IPv6:::1",
            "[IPv7:::1]",
            "[::1]",
            "[IPv6: ::1]",
            "[IPv6:12345::]",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
    }

    #[test]
    fn scans() {
        assert_eq!(scan(b"127.0.0.1"), Some((Ip4([127, 0, 0, 1]), 9)));
        assert_eq!(scan(b"10.1.2.3x"), Some((Ip4([10, 1, 2, 3]), 8)));
        assert_eq!(scan(b"010.001.2.3"), Some((Ip4([10, 1, 2, 3]), 11)));
        assert_eq!(scan(b"1.2.3"), None);
        assert_eq!(scan(b"1.2.3."), None);
        assert_eq!(scan(b"1..2.3"), None);
        assert_eq!(scan(b"1.2.3.256"), None);
        assert_eq!(scan(b"1.2.3.99999999999999999999"), None);
        assert_eq!(scan(b""), None);
    }

    #[test]
    fn brackets() {
        assert_eq!(
            scan_bracket(b"[127.0.0.1]"),
            Some((Ip4([127, 0, 0, 1]), 11))
        );
        assert_eq!(parse_bracket(b"[127.0.0.1]"), Some(Ip4([127, 0, 0, 1])));
        assert_eq!(parse_bracket(b"[127.0.0.1]x"), None);
        assert_eq!(parse_bracket(b"[127.0.0.1"), None);
        assert_eq!(parse_bracket(b"127.0.0.1]"), None);
        assert_eq!(parse_bracket(b"[127.0.0.257]"), None);
    }

    #[test]
    fn formats() {
        assert_eq!(Ip4([192, 0, 2, 7]).to_string(), "192.0.2.7");
    }
}
