//! addrparse: the address in a MAIL or RCPT argument.
//!
//! qmail-smtpd is deliberately lenient here: the `FROM:`/`TO:` keyword is not checked, the
//! brackets are optional, and anything after the address (ESMTP parameters) is ignored.
//! The errors are length and a CR inside the address (the line ends at LF, so no LF
//! gets this far): no address with a line break may reach a header or the wire.
use qmail_net::ip::{self, Ip4};

/// Longest address accepted, in bytes. qmail-smtpd keeps the address as a C string in a
/// 900-byte limit that counts the NUL; RELAYCLIENT is appended after the check. (qmail-queue
/// takes up to 1002, QMTP 999.)
pub const ADDR_MAX: usize = 899;

/// Longest address literal, `[IPv6:ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]`: the
/// most the localiphost rewrite can shorten an address by.
const LITERAL_MAX: usize = 52;

/// `control/localiphost`: the name that replaces `[a.b.c.d]` or `[IPv6:…]` when that is
/// one of our own addresses, and the lists of those addresses (ipme, ipme6).
#[derive(Clone, Debug, Default)]
pub struct LocalIpHost {
    pub name: Vec<u8>,
    pub ips: Vec<Ip4>,
    pub ips6: Vec<std::net::Ipv6Addr>,
}

/// The address in `arg`, or None when it is too long or holds a CR.
pub fn addrparse(arg: &[u8], liphost: Option<&LocalIpHost>) -> Option<Vec<u8>> {
    let (mut rest, terminator) = match memchr::memchr(b'<', arg) {
        Some(i) => (arg.get(i.checked_add(1)?..).unwrap_or_default(), b'>'),
        None => {
            // "partner should read RFC 821": the address follows the colon, up to a space.
            let after = match memchr::memchr(b':', arg) {
                Some(i) => arg.get(i.checked_add(1)?..).unwrap_or_default(),
                None => &b""[..],
            };
            let skip = after.iter().take_while(|&&b| b == b' ').count();
            (after.get(skip..).unwrap_or_default(), b' ')
        }
    };
    if rest.first() == Some(&b'@') {
        // A source route @a,@b: is dropped up to and including the first colon.
        rest = match memchr::memchr(b':', rest) {
            Some(i) => rest.get(i.checked_add(1)?..).unwrap_or_default(),
            None => &b""[..],
        };
    }
    let mut addr = Vec::new();
    let mut esc = false;
    let mut quoted = false;
    for &ch in rest {
        if esc {
            addr.push(ch);
            esc = false;
        } else if !quoted && ch == terminator {
            break;
        } else if ch == b'\\' {
            esc = true;
        } else if ch == b'"' {
            quoted = !quoted;
        } else {
            addr.push(ch);
        }
        if addr.len() > ADDR_MAX.saturating_add(LITERAL_MAX) {
            // Too long even if the localiphost rewrite shortens it: stop copying an
            // unbounded line.
            return None;
        }
    }
    if memchr::memchr(b'\r', &addr).is_some() {
        return None;
    }
    if let Some(l) = liphost {
        localiphost(&mut addr, l);
    }
    if addr.len() > ADDR_MAX {
        return None;
    }
    Some(addr)
}

/// The ESMTP parameters of a MAIL argument: the words after the address (after the last
/// `>`, or after the bracketless address).
fn params(arg: &[u8]) -> impl Iterator<Item = &[u8]> {
    let params = match memchr::memrchr(b'>', arg) {
        Some(i) => arg.get(i.saturating_add(1)..),
        None => {
            let after = match memchr::memchr(b':', arg) {
                Some(i) => arg.get(i.saturating_add(1)..),
                None => Some(arg),
            };
            after.and_then(|after| {
                let skip = after.iter().take_while(|&&b| b == b' ').count();
                let after = after.get(skip..)?;
                after.get(memchr::memchr(b' ', after)?..)
            })
        }
    };
    params
        .unwrap_or_default()
        .split(|&b| b == b' ')
        .filter(|w| !w.is_empty())
}

/// The `SIZE=n` parameter of a MAIL argument (RFC 1870), if any. A number too big for
/// u64 counts as u64::MAX; a malformed value as absent.
pub fn size_param(arg: &[u8]) -> Option<u64> {
    params(arg).find_map(|w| {
        let (k, v) = w.split_at_checked(5)?;
        if !k.eq_ignore_ascii_case(b"SIZE=") || v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(v.iter().fold(0u64, |n, &d| {
            n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
        }))
    })
}

/// The MAIL argument carries the `SMTPUTF8` parameter (RFC 6531): the addresses of
/// this transaction may be UTF-8.
pub fn smtputf8_param(arg: &[u8]) -> bool {
    params(arg).any(|w| w.eq_ignore_ascii_case(b"SMTPUTF8"))
}

/// Whether an address may be used in a transaction with (`utf8`) or without SMTPUTF8:
/// ASCII always, UTF-8 only with it (RFC 6531 §3.3); never bytes that are not UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charset {
    Ascii,
    Utf8,
    Invalid,
}

pub fn charset(addr: &[u8]) -> Charset {
    if addr.is_ascii() {
        Charset::Ascii
    } else if std::str::from_utf8(addr).is_ok() {
        Charset::Utf8
    } else {
        Charset::Invalid
    }
}

/// `user@[a.b.c.d]` or `user@[IPv6:…]` naming one of our addresses becomes
/// `user@<localiphost>`.
fn localiphost(addr: &mut Vec<u8>, l: &LocalIpHost) {
    let Some(at) = memchr::memrchr(b'@', addr) else {
        return;
    };
    let Some(domain) = addr.get(at.saturating_add(1)..) else {
        return;
    };
    let ours = match ip::parse_bracket(domain) {
        Some(ip) => l.ips.contains(&ip),
        None => ip::parse_bracket6(domain).is_some_and(|ip| l.ips6.contains(&ip)),
    };
    if ours {
        addr.truncate(at.saturating_add(1));
        addr.extend_from_slice(&l.name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(arg: &str) -> Option<String> {
        addrparse(arg.as_bytes(), None).map(|v| String::from_utf8(v).unwrap())
    }

    #[test]
    fn forms() {
        assert_eq!(a("FROM:<>").as_deref(), Some(""));
        assert_eq!(a("FROM:<a@b>").as_deref(), Some("a@b"));
        assert_eq!(
            a("FROM:plain@client.example").as_deref(),
            Some("plain@client.example")
        );
        assert_eq!(a("TO: x@y extra").as_deref(), Some("x@y"));
        assert_eq!(a("TO:   x@y").as_deref(), Some("x@y"));
        assert_eq!(a("x@y").as_deref(), Some(""), "no colon, no bracket: empty");
        assert_eq!(a("").as_deref(), Some(""));
        assert_eq!(a("garbage <a@b> SIZE=5").as_deref(), Some("a@b"));
        assert_eq!(a("TO:<a@b").as_deref(), Some("a@b"), "unterminated");
        assert_eq!(
            a("TO:<qcmp-angle>more>@cmp.example>").as_deref(),
            Some("qcmp-angle")
        );
        assert_eq!(
            a("TO:<a@b> NOTIFY=NEVER ORCPT=rfc822;x@y").as_deref(),
            Some("a@b")
        );
    }

    #[test]
    fn size_parameter() {
        assert_eq!(size_param(b"FROM:<a@b> SIZE=1000"), Some(1000));
        assert_eq!(size_param(b"FROM:<a@b> BODY=8BITMIME size=7"), Some(7));
        assert_eq!(size_param(b"FROM:a@b SIZE=12"), Some(12));
        assert_eq!(size_param(b"FROM:<a@b>"), None);
        assert_eq!(size_param(b"FROM:<\"SIZE=9\"@b>"), None);
        assert_eq!(size_param(b"FROM:<a@b> SIZE=x"), None);
        assert_eq!(size_param(b"FROM:<a@b> SIZE="), None);
        assert_eq!(
            size_param(b"FROM:<a@b> SIZE=99999999999999999999999"),
            Some(u64::MAX)
        );
        assert_eq!(size_param(b"FROM:SIZE=5"), None);
    }

    #[test]
    fn smtputf8_parameter() {
        assert!(smtputf8_param(b"FROM:<j\xc3\xbcrgen@b> SMTPUTF8"));
        assert!(smtputf8_param(b"FROM:<a@b> SIZE=5  smtputf8 BODY=8BITMIME"));
        assert!(smtputf8_param(b"FROM:a@b SMTPUTF8"));
        assert!(!smtputf8_param(b"FROM:<a@b>"));
        assert!(!smtputf8_param(b"FROM:<SMTPUTF8@b>"));
        assert!(!smtputf8_param(b"FROM:<a@b> SMTPUTF8=yes"));
        assert!(!smtputf8_param(b"FROM:SMTPUTF8"));
        assert_eq!(charset(b"a@b"), Charset::Ascii);
        assert_eq!(
            charset("j\u{fc}rgen@b\u{e4}r.example".as_bytes()),
            Charset::Utf8
        );
        assert_eq!(charset(b"j\xfcrgen@b"), Charset::Invalid);
        assert_eq!(charset(b"\xc3"), Charset::Invalid);
    }

    #[test]
    fn source_routes() {
        assert_eq!(
            a("TO:<@relay1.example,@relay2.example:u@cmp.example>").as_deref(),
            Some("u@cmp.example")
        );
        assert_eq!(a("TO:<@route-without-colon>").as_deref(), Some(""));
        assert_eq!(a("TO:@r:u@d").as_deref(), Some("u@d"));
    }

    #[test]
    fn quoting() {
        assert_eq!(a(r#"TO:<"q"@d>"#).as_deref(), Some("q@d"));
        assert_eq!(a(r#"TO:<"with space"@d>"#).as_deref(), Some("with space@d"));
        assert_eq!(a(r#"TO:<"a>b"@d>"#).as_deref(), Some("a>b@d"));
        assert_eq!(a(r"TO:<back\\slash@d>").as_deref(), Some(r"back\slash@d"));
        assert_eq!(a(r"TO:<a\>b@d>").as_deref(), Some("a>b@d"));
        assert_eq!(a(r"TO:<trailing\").as_deref(), Some("trailing"));
        assert_eq!(a(r#"TO:"with space"@d"#).as_deref(), Some("with space@d"));
    }

    #[test]
    fn carriage_return_is_a_syntax_error() {
        assert_eq!(a("TO:<a\rb@d>"), None);
        assert_eq!(a("TO:<\"a\rb\"@d>"), None);
        assert_eq!(a("TO:<a\\\rb@d>"), None);
        assert_eq!(a("FROM:a\r@d"), None);
        assert_eq!(a("TO:<a@d>\r").as_deref(), Some("a@d"));
    }

    #[test]
    fn length_limit() {
        let ok = format!("TO:<{}@d>", "l".repeat(ADDR_MAX - 2));
        assert_eq!(a(&ok).unwrap().len(), ADDR_MAX);
        let long = format!("TO:<{}@d>", "l".repeat(ADDR_MAX - 1));
        assert_eq!(a(&long), None);
        let quotes = format!("TO:<{}x@d>", "\"\"".repeat(5000));
        assert_eq!(a(&quotes).as_deref(), Some("x@d"));
    }

    #[test]
    fn localiphost_rewrite() {
        let l = LocalIpHost {
            name: b"me.example".to_vec(),
            ips: vec![Ip4([127, 0, 0, 1]), Ip4([0, 0, 0, 0])],
            ips6: vec!["::".parse().unwrap(), "::1".parse().unwrap()],
        };
        let p = |s: &str| String::from_utf8(addrparse(s.as_bytes(), Some(&l)).unwrap()).unwrap();
        assert_eq!(p("TO:<u@[127.0.0.1]>"), "u@me.example");
        assert_eq!(p("TO:<u@[0.0.0.0]>"), "u@me.example");
        assert_eq!(p("TO:<u@[10.255.255.254]>"), "u@[10.255.255.254]");
        assert_eq!(p("TO:<u@[127.0.0.1]x>"), "u@[127.0.0.1]x");
        assert_eq!(p("TO:<a@b@[127.0.0.1]>"), "a@b@me.example");
        assert_eq!(p("TO:<[127.0.0.1]>"), "[127.0.0.1]");
        assert_eq!(p("TO:<u@[IPv6:::1]>"), "u@me.example");
        assert_eq!(p("TO:<u@[ipv6:0:0:0:0:0:0:0:1]>"), "u@me.example");
        assert_eq!(p("TO:<u@[IPv6:::]>"), "u@me.example");
        assert_eq!(p("TO:<u@[IPv6:2001:db8::1]>"), "u@[IPv6:2001:db8::1]");
        assert_eq!(p("TO:<u@[IPv6:::1x]>"), "u@[IPv6:::1x]");
        assert_eq!(p("TO:<u@[::1]>"), "u@[::1]");
        // A long literal of ours is rewritten before the length check too.
        let v6 = format!(
            "TO:<{}@[IPv6:0000:0000:0000:0000:0000:0000:0000:0001]>",
            "l".repeat(880)
        );
        assert_eq!(p(&v6).len(), 880 + 11);
        let theirs = v6.replace(":0001]", ":0002]");
        assert_eq!(addrparse(theirs.as_bytes(), Some(&l)), None);
        let fits = format!("TO:<{}@[127.0.0.1]>", "l".repeat(885));
        assert_eq!(p(&fits).len(), 885 + 11);
        // the rewrite happens before the length check
        let short = LocalIpHost {
            name: b"x".to_vec(),
            ips: vec![Ip4([127, 0, 0, 1])],
            ips6: Vec::new(),
        };
        let long = format!("TO:<{}@[127.0.0.1]>", "l".repeat(890));
        assert_eq!(addrparse(long.as_bytes(), None), None);
        assert_eq!(addrparse(long.as_bytes(), Some(&short)).unwrap().len(), 892);
        let longer = format!("TO:<{}@[127.0.0.1]>", "l".repeat(898));
        assert_eq!(addrparse(longer.as_bytes(), Some(&short)), None);
    }
}
