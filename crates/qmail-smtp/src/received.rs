//! The Received line qmail-smtpd puts at the top of each message, and
//! qmail-qmtpd and qmail-qmqpd too (without the HELO part, `with QMTP`/`with QMQP`):
//!
//! ```text
//! Received: from REMOTEHOST (HELO helo) (REMOTEINFO@REMOTEIP)
//!   by LOCAL with SMTP; 27 Nov 2026 00:02:22 -0000
//! ```
//!
//! Every field comes from the client or its DNS, so each byte outside a small safe set
//! becomes `?`: nothing the client sends can start a new header line.
use crate::load::env;

/// The peer and our side, as tcpserver/tcp-env describe them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// TCPREMOTEIP, else `unknown`.
    pub remoteip: Vec<u8>,
    /// TCPREMOTEHOST, else `unknown`.
    pub remotehost: Vec<u8>,
    /// TCPREMOTEINFO (ident), if set.
    pub remoteinfo: Option<Vec<u8>>,
    /// TCPLOCALHOST, else TCPLOCALIP, else `unknown`.
    pub local: Vec<u8>,
}

impl Default for Peer {
    fn default() -> Peer {
        Peer {
            remoteip: b"unknown".to_vec(),
            remotehost: b"unknown".to_vec(),
            remoteinfo: None,
            local: b"unknown".to_vec(),
        }
    }
}

/// The peer as tcpserver (or tcp-env) describes it; `unknown` for what is missing.
pub fn peer_from_env() -> Peer {
    Peer {
        remoteip: env("TCPREMOTEIP")
            .map(unmapped)
            .unwrap_or_else(|| b"unknown".to_vec()),
        remotehost: env("TCPREMOTEHOST").unwrap_or_else(|| b"unknown".to_vec()),
        remoteinfo: env("TCPREMOTEINFO"),
        local: env("TCPLOCALHOST")
            .or_else(|| env("TCPLOCALIP").map(unmapped))
            .unwrap_or_else(|| b"unknown".to_vec()),
    }
}

/// An IPv4 client of an IPv6 socket, as an IPv6 tcpserver may describe it
/// (`::ffff:192.0.2.7`), written as IPv4, the way qmail's tcpserver writes it.
fn unmapped(ip: Vec<u8>) -> Vec<u8> {
    match ip.split_at_checked(7) {
        Some((pre, v4))
            if pre.eq_ignore_ascii_case(b"::ffff:")
                && qmail_net::ip::scan(v4).is_some_and(|(_, n)| n == v4.len()) =>
        {
            v4.to_vec()
        }
        _ => ip,
    }
}

/// Bytes kept as they are; notqmail added the brackets (for address literals in HELO).
fn is_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b".@%+/=:-[]".contains(&b)
}

fn safe_put(out: &mut Vec<u8>, field: &[u8]) {
    out.extend(field.iter().map(|&b| if is_safe(b) { b } else { b'?' }));
}

/// qmail-smtpd's line: [`received_with`] `SMTP`, or, when the session is encrypted,
/// `(TLSv1.3 TLS13_AES_256_GCM_SHA384 encrypted) SMTP` (the form of the qmail TLS patch).
/// A transaction with SMTPUTF8 (`utf8`) says `UTF8SMTP` instead (RFC 6531 §3.7.3).
pub fn received(
    peer: &Peer,
    helo: Option<&[u8]>,
    tls: Option<&[u8]>,
    utf8: bool,
    date: &str,
) -> Vec<u8> {
    let proto = if utf8 { "UTF8SMTP" } else { "SMTP" };
    match tls {
        None => received_with(peer, helo, proto, date),
        Some(t) => {
            let mut p = String::from("(");
            p.extend(t.iter().map(|&b| {
                if is_safe(b) || b" _".contains(&b) {
                    char::from(b)
                } else {
                    '?'
                }
            }));
            p.push_str(" encrypted) ");
            p.push_str(proto);
            received_with(peer, helo, &p, date)
        }
    }
}

/// The whole line, LF-terminated. `helo` is the HELO/EHLO argument when it differs from
/// the remote host name (always `None` for QMTP and QMQP); `protocol` is `SMTP`, `QMTP`
/// or `QMQP`; `date` is date822 of the time the message started.
pub fn received_with(peer: &Peer, helo: Option<&[u8]>, protocol: &str, date: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(b"Received: from ");
    safe_put(&mut out, &peer.remotehost);
    if let Some(h) = helo {
        out.extend_from_slice(b" (HELO ");
        safe_put(&mut out, h);
        out.push(b')');
    }
    out.extend_from_slice(b" (");
    if let Some(info) = &peer.remoteinfo {
        safe_put(&mut out, info);
        out.push(b'@');
    }
    safe_put(&mut out, &peer.remoteip);
    out.extend_from_slice(b")\n  by ");
    safe_put(&mut out, &peer.local);
    out.extend_from_slice(b" with ");
    out.extend_from_slice(protocol.as_bytes());
    out.extend_from_slice(b"; ");
    out.extend_from_slice(date.as_bytes());
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &str = "27 Nov 2026 00:02:22 -0000";

    #[test]
    fn from_tcp_env() {
        let peer = Peer {
            remoteip: b"192.0.2.7".to_vec(),
            remotehost: b"client.example".to_vec(),
            remoteinfo: Some(b"identuser".to_vec()),
            local: b"mx.cmp.example".to_vec(),
        };
        assert_eq!(
            received(&peer, None, None, false, DATE),
            b"Received: from client.example (identuser@192.0.2.7)\n  by mx.cmp.example with SMTP; 27 Nov 2026 00:02:22 -0000\n"
        );
    }

    #[test]
    fn odd_helo_is_sanitised() {
        let peer = Peer {
            remoteip: b"127.0.0.1".to_vec(),
            local: b"cmp.example".to_vec(),
            ..Peer::default()
        };
        assert_eq!(
            received(&peer, Some(b"weird<name>(x)_\"q\"[1.2.3.4]"), None, false, DATE),
            b"Received: from unknown (HELO weird?name??x???q?[1.2.3.4]) (127.0.0.1)\n  by cmp.example with SMTP; 27 Nov 2026 00:02:22 -0000\n"
        );
        assert_eq!(
            received(&peer, Some(b"a\r\nX-Injected: y\xff"), None, false, DATE),
            b"Received: from unknown (HELO a??X-Injected:?y?) (127.0.0.1)\n  by cmp.example with SMTP; 27 Nov 2026 00:02:22 -0000\n"
        );
    }

    #[test]
    fn encrypted() {
        let peer = Peer {
            remoteip: b"192.0.2.7".to_vec(),
            local: b"mx.example".to_vec(),
            ..Peer::default()
        };
        assert_eq!(
            received(&peer, Some(b"c"), Some(b"TLSv1.3 TLS13_AES_128_GCM_SHA256\n"), false, DATE),
            b"Received: from unknown (HELO c) (192.0.2.7)\n  by mx.example with (TLSv1.3 TLS13_AES_128_GCM_SHA256? encrypted) SMTP; 27 Nov 2026 00:02:22 -0000\n"
        );
    }

    #[test]
    fn smtputf8() {
        let peer = Peer {
            remoteip: b"2001:db8::7".to_vec(),
            local: b"mx.example".to_vec(),
            ..Peer::default()
        };
        assert_eq!(
            received(&peer, Some(b"[IPv6:2001:db8::7]"), None, true, DATE),
            b"Received: from unknown (HELO [IPv6:2001:db8::7]) (2001:db8::7)\n  by mx.example with UTF8SMTP; 27 Nov 2026 00:02:22 -0000\n"
        );
        assert!(received(&peer, None, Some(b"TLSv1.2 X"), true, DATE)
            .windows(31)
            .any(|w| w == b"with (TLSv1.2 X encrypted) UTF8"));
    }

    #[test]
    fn ipv4_mapped_addresses_are_written_as_ipv4() {
        assert_eq!(unmapped(b"::ffff:192.0.2.7".to_vec()), b"192.0.2.7");
        assert_eq!(unmapped(b"::FFFF:10.0.0.1".to_vec()), b"10.0.0.1");
        assert_eq!(unmapped(b"::ffff:c000:207".to_vec()), b"::ffff:c000:207");
        assert_eq!(unmapped(b"2001:db8::1".to_vec()), b"2001:db8::1");
        assert_eq!(unmapped(b"::ffff:1.2.3.4x".to_vec()), b"::ffff:1.2.3.4x");
        assert_eq!(unmapped(b"::1".to_vec()), b"::1");
    }

    #[test]
    fn nothing_known() {
        assert_eq!(
            received(&Peer::default(), Some(b"Client.Example"), None, false, DATE),
            b"Received: from unknown (HELO Client.Example) (unknown)\n  by unknown with SMTP; 27 Nov 2026 00:02:22 -0000\n"
        );
    }

    #[test]
    fn qmtp_line() {
        let peer = Peer {
            remoteip: b"192.0.2.9".to_vec(),
            local: b"mx.cmp.example".to_vec(),
            ..Peer::default()
        };
        assert_eq!(
            received_with(&peer, None, "QMTP", DATE),
            b"Received: from unknown (192.0.2.9)\n  by mx.cmp.example with QMTP; 27 Nov 2026 00:02:22 -0000\n"
        );
    }

    #[test]
    fn hostile_fields() {
        let peer = Peer {
            remoteip: b"1.2.3.4".to_vec(),
            remotehost: b"evil\nX-Header: y".to_vec(),
            remoteinfo: Some(b"id ent".to_vec()),
            local: b"l(o)cal".to_vec(),
        };
        assert_eq!(
            received_with(&peer, None, "QMQP", DATE),
            b"Received: from evil?X-Header:?y (id?ent@1.2.3.4)\n  by l?o?cal with QMQP; 27 Nov 2026 00:02:22 -0000\n"
        );
    }
}
