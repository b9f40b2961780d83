//! `control/smtproutes`: artificial SMTP routes, `domain:relay[:port]`.
//!
//! The keys tried for a host are the host itself, then each `.suffix` of it from longest
//! to shortest, then the empty key (a default route); the first key present decides. An
//! empty relay means "no route: look up MX records as usual". The port is the decimal
//! prefix of what follows the second colon (qmail's `scan_ulong`, so a port with no digits
//! is 0 and numbers wrap at 16 bits), 25 when there is no second colon. A relay that
//! starts with `[` runs to its `]`, so `[IPv6:2001:db8::25]:2525` keeps its colons.
use qmail_core::constmap::ConstMap;

pub const SMTP_PORT: u16 = 25;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub relay: Vec<u8>,
    pub port: u16,
}

/// The keys in lookup order.
pub fn keys(host: &[u8]) -> impl Iterator<Item = &[u8]> {
    (0..=host.len())
        .filter(move |&i| i == 0 || i == host.len() || host.get(i) == Some(&b'.'))
        .filter_map(move |i| host.get(i..))
}

/// The route for `host`, or None for normal MX delivery.
pub fn lookup(routes: &ConstMap, host: &[u8]) -> Option<Route> {
    let value = keys(host).find_map(|k| routes.get(k))?;
    if value.is_empty() {
        return None;
    }
    // A bracketed literal: the colons inside it are not the port's.
    let from = match value.first() {
        Some(b'[') => memchr::memchr(b']', value).unwrap_or(0),
        _ => 0,
    };
    let colon = value
        .get(from..)
        .and_then(|v| memchr::memchr(b':', v))
        .map(|i| i.saturating_add(from));
    Some(match colon {
        None => Route {
            relay: value.to_vec(),
            port: SMTP_PORT,
        },
        Some(i) => Route {
            relay: value.get(..i).unwrap_or_default().to_vec(),
            port: scan_port(value.get(i.saturating_add(1)..).unwrap_or_default()),
        },
    })
}

fn scan_port(s: &[u8]) -> u16 {
    let mut n: u64 = 0;
    for &b in s.iter().take_while(|b| b.is_ascii_digit()) {
        n = n.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
    }
    (n & 0xffff) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(lines: &[&str]) -> ConstMap {
        let v: Vec<Vec<u8>> = lines.iter().map(|l| l.as_bytes().to_vec()).collect();
        ConstMap::new(&v, true)
    }

    #[test]
    fn key_order() {
        let k: Vec<&[u8]> = keys(b"a.b.c").collect();
        assert_eq!(k, vec![&b"a.b.c"[..], b".b.c", b".c", b""]);
        let k: Vec<&[u8]> = keys(b"").collect();
        assert_eq!(k, vec![&b""[..]]);
    }

    #[test]
    fn routes() {
        let m = map(&[
            "example.org:relay.example.net",
            ".example.org:[192.0.2.1]:2525",
            "Mx.Example.Org:",
            ":smarthost:26",
            "odd.example:1.2.3.4:x",
            "wrap.example:h:65561",
            "old.example:a",
            "old.example:b",
            "six.example:[IPv6:2001:db8::25]:2525",
            "six2.example:[IPv6:::1]",
        ]);
        let r = |h: &str| lookup(&m, h.as_bytes());
        let route = |relay: &str, port| {
            Some(Route {
                relay: relay.as_bytes().to_vec(),
                port,
            })
        };
        assert_eq!(r("example.org"), route("relay.example.net", 25));
        assert_eq!(r("EXAMPLE.ORG"), route("relay.example.net", 25));
        assert_eq!(r("sub.example.org"), route("[192.0.2.1]", 2525));
        assert_eq!(r("mx.example.org"), None);
        assert_eq!(r("elsewhere.test"), route("smarthost", 26));
        assert_eq!(r("odd.example"), route("1.2.3.4", 0));
        assert_eq!(r("wrap.example"), route("h", 25));
        assert_eq!(r("old.example"), route("b", 25));
        assert_eq!(r("six.example"), route("[IPv6:2001:db8::25]", 2525));
        assert_eq!(r("six2.example"), route("[IPv6:::1]", 25));
        assert_eq!(lookup(&map(&["a.b:x"]), b"c.d"), None);
    }
}
