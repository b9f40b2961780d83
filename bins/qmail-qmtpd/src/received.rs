//! The Received line qmail-qmtpd and qmail-qmqpd put at the top of each message:
//!
//! ```text
//! Received: from REMOTEHOST (REMOTEINFO@REMOTEIP)
//!   by LOCAL with QMTP; 27 Nov 2026 00:02:22 -0000
//! ```
//!
//! The same shape as qmail-smtpd's without the HELO part. Every field comes from the
//! connection, so each byte outside a small safe set becomes `?`.
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

pub use qmail_smtp::received::Peer;

fn is_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b".@%+/=:-[]".contains(&b)
}

fn safe_put(out: &mut Vec<u8>, field: &[u8]) {
    out.extend(field.iter().map(|&b| if is_safe(b) { b } else { b'?' }));
}

fn env(name: &str) -> Option<Vec<u8>> {
    std::env::var_os(name).map(|v| OsStr::as_bytes(&v).to_vec())
}

/// The peer as tcpserver (or tcp-env) describes it; `unknown` for what is missing.
pub fn peer_from_env() -> Peer {
    Peer {
        remoteip: env("TCPREMOTEIP").unwrap_or_else(|| b"unknown".to_vec()),
        remotehost: env("TCPREMOTEHOST").unwrap_or_else(|| b"unknown".to_vec()),
        remoteinfo: env("TCPREMOTEINFO"),
        local: env("TCPLOCALHOST")
            .or_else(|| env("TCPLOCALIP"))
            .unwrap_or_else(|| b"unknown".to_vec()),
    }
}

/// The whole line, LF-terminated; `protocol` is `QMTP` or `QMQP`.
pub fn received(peer: &Peer, protocol: &str, date: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(b"Received: from ");
    safe_put(&mut out, &peer.remotehost);
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
    fn qmtp_line() {
        let peer = Peer {
            remoteip: b"192.0.2.9".to_vec(),
            local: b"mx.cmp.example".to_vec(),
            ..Peer::default()
        };
        assert_eq!(
            received(&peer, "QMTP", DATE),
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
            received(&peer, "QMQP", DATE),
            b"Received: from evil?X-Header:?y (id?ent@1.2.3.4)\n  by l?o?cal with QMQP; 27 Nov 2026 00:02:22 -0000\n"
        );
    }
}
