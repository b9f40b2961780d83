//! remoteinfo: an RFC 1413 ident query. Connect from our side's address to the peer's
//! port 113, send `<remote port> , <local port>` CR LF, read one line; the answer is what
//! follows the third colon, without spaces, tabs and CRs, at most 998 bytes. Every step
//! has the timeout; any failure means "no information".
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};

use qmail_net::timeoutio::{connect, Timed};

const IDENT_PORT: u16 = 113;
/// qmail keeps the answer in a 999-byte C string.
const INFO_MAX: usize = 998;

/// The ident answer for the connection `remote` → `local`, or None.
pub fn get(remote: SocketAddr, local: SocketAddr, secs: u64) -> Option<Vec<u8>> {
    let (IpAddr::V4(rip), IpAddr::V4(lip)) = (remote.ip(), local.ip()) else {
        return None;
    };
    let to = SocketAddr::from((rip, IDENT_PORT));
    let mut s = Timed::new(connect(Some(IpAddr::V4(lip)), to, secs).ok()?, secs);
    let query = format!("{} , {}\r\n", remote.port(), local.port()).into_bytes();
    s.write_all(&query).ok()?;
    let mut answer = Answer::default();
    let mut buf = [0u8; 256];
    loop {
        let n = match s.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => n,
        };
        for &ch in buf.get(..n).unwrap_or_default() {
            if answer.byte(ch) {
                return Some(answer.info);
            }
        }
    }
}

/// The reply parser; `byte` returns true when the answer is complete.
#[derive(Default)]
struct Answer {
    colons: u8,
    info: Vec<u8>,
}

impl Answer {
    fn byte(&mut self, ch: u8) -> bool {
        match ch {
            b' ' | b'\t' | b'\r' => false,
            b'\n' => true,
            // An environment variable ends at a NUL: stop there, as qmail's C string did.
            0 if self.colons >= 3 => true,
            _ if self.colons < 3 => {
                if ch == b':' {
                    self.colons = self.colons.saturating_add(1);
                }
                false
            }
            _ => {
                self.info.push(ch);
                self.info.len() >= INFO_MAX
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(reply: &[u8]) -> Option<Vec<u8>> {
        let mut a = Answer::default();
        for &b in reply {
            if a.byte(b) {
                return Some(a.info);
            }
        }
        None
    }

    #[test]
    fn answers() {
        assert_eq!(
            parse(b"6193, 23 : USERID : UNIX : stjohns\r\n"),
            Some(b"stjohns".to_vec())
        );
        assert_eq!(parse(b"1,2:USERID:UNIX:a b:c\r\n"), Some(b"ab:c".to_vec()));
        assert_eq!(parse(b"1,2:ERROR:NO-USER\r\n"), Some(Vec::new()));
        assert_eq!(parse(b"1,2:USERID:UNIX:x"), None, "no newline: no answer");
        let long = [b"1,2:USERID:UNIX:".to_vec(), vec![b'a'; 2000]].concat();
        assert_eq!(parse(&long).map(|v| v.len()), Some(INFO_MAX));
    }
}
