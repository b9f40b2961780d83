//! splogger [tag [facility]]: each line of input becomes one syslog message
//! `SEC.USEC text`. Lines longer than a message are cut into pieces; the pieces
//! after the first carry `SEC.USEC+` with the first piece's stamp and priority. The
//! messages go to the local syslog socket /dev/log as `<PRI>tag: message` datagrams.
#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::io::{self, BufReader, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixDatagram;

/// Bytes of text per message (qmail's 800-byte buffer less its NUL).
pub const CHUNK: usize = 799;
pub const LOG_MAIL: u32 = 2 << 3;
pub const LOG_ALERT: u32 = 1;
pub const LOG_WARNING: u32 = 4;
pub const LOG_INFO: u32 = 6;
const SOCKET: &str = "/dev/log";

/// Turns input bytes into (priority, message) pairs.
pub struct Splitter {
    buf: Vec<u8>,
    cont: Option<(u32, String)>,
}

impl Default for Splitter {
    fn default() -> Self {
        Splitter {
            buf: Vec::with_capacity(CHUNK),
            cont: None,
        }
    }
}

impl Splitter {
    /// `stamp` is called when a line's first piece is sent.
    pub fn feed(
        &mut self,
        bytes: &[u8],
        stamp: &mut impl FnMut() -> String,
        out: &mut impl FnMut(u32, Vec<u8>),
    ) {
        for &b in bytes {
            if b == b'\n' {
                self.flush(stamp, out);
                self.cont = None;
                continue;
            }
            if self.buf.len() == CHUNK {
                self.flush(stamp, out);
            }
            self.buf
                .push(if (32..=126).contains(&b) { b } else { b'?' });
        }
    }

    fn flush(&mut self, stamp: &mut impl FnMut() -> String, out: &mut impl FnMut(u32, Vec<u8>)) {
        if self.buf.is_empty() {
            return;
        }
        let text = std::mem::take(&mut self.buf);
        match &self.cont {
            Some((pri, st)) => out(*pri, [st.as_bytes(), b"+", &text].concat()),
            None => {
                let st = stamp();
                let pri = if text.starts_with(b"alert:") {
                    LOG_ALERT
                } else if text.starts_with(b"warning:") {
                    LOG_WARNING
                } else {
                    LOG_INFO
                };
                out(pri, [st.as_bytes(), b" ", &text].concat());
                self.cont = Some((pri, st));
            }
        }
    }
}

/// `seconds.microseconds` (six digits).
pub fn stamp_now() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}.{:06}", d.as_secs(), d.subsec_micros())
}

/// Leading decimal digits, like scan_ulong.
fn scan(s: &[u8]) -> u32 {
    s.iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0u32, |n, &b| {
            n.saturating_mul(10).saturating_add(u32::from(b - b'0'))
        })
}

/// Read stdin to EOF (a last line without newline is dropped, as in qmail).
pub fn run(args: &[OsString]) {
    let tag = args
        .get(1)
        .map_or(b"splogger".to_vec(), |t| t.as_bytes().to_vec());
    let facility = args
        .get(2)
        .map_or(LOG_MAIL, |f| scan(f.as_bytes()).saturating_mul(8));
    let sock = UnixDatagram::unbound().ok();
    let mut send = |pri: u32, msg: Vec<u8>| {
        let mut d = format!("<{}>", facility | pri).into_bytes();
        d.extend_from_slice(&tag);
        d.extend_from_slice(b": ");
        d.extend_from_slice(&msg);
        if let Some(s) = sock.as_ref() {
            let _ = s.send_to(&d, SOCKET);
        }
    };
    let mut sp = Splitter::default();
    let mut input = BufReader::new(io::stdin().lock());
    let mut buf = [0u8; 4096];
    loop {
        match input.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => sp.feed(buf.get(..n).unwrap_or(&[]), &mut stamp_now, &mut send),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(input: &[u8]) -> Vec<(u32, String)> {
        let mut out = Vec::new();
        let mut n = 0;
        let mut sp = Splitter::default();
        sp.feed(
            input,
            &mut || {
                n += 1;
                format!("{n}.000000")
            },
            &mut |p, m| out.push((p, String::from_utf8_lossy(&m).into_owned())),
        );
        out
    }

    #[test]
    fn lines_and_priorities() {
        assert_eq!(
            split(b"status: x\nwarning: w\n\nalert: a\x01\nno newline"),
            [
                (LOG_INFO, "1.000000 status: x".to_string()),
                (LOG_WARNING, "2.000000 warning: w".to_string()),
                (LOG_ALERT, "3.000000 alert: a?".to_string()),
            ]
        );
    }

    #[test]
    fn long_lines_are_cut() {
        let mut line = b"alert:".to_vec();
        line.extend(std::iter::repeat(b'x').take(2000));
        line.push(b'\n');
        let out = split(&line);
        assert_eq!(out.len(), 3);
        assert!(out.iter().all(|(p, _)| *p == LOG_ALERT));
        assert_eq!(out[0].1.len(), "1.000000 ".len() + CHUNK);
        assert!(out[1].1.starts_with("1.000000+xxx"));
        assert_eq!(out[1].1.len(), "1.000000+".len() + CHUNK);
        assert_eq!(out[2].1.len(), "1.000000+".len() + 2006 - 2 * CHUNK);
    }
}
