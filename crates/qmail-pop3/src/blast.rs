//! A message on the wire: LF becomes CR LF, a line starting with `.` gets another one, and
//! the end is `\r\n.\r\n`, so an extra empty line always precedes the final dot (qmail's
//! choice: a last line without LF still ends cleanly). With a limit, all header lines, the
//! empty line after them and `limit - 1` body lines are sent (TOP). A CR LF already in the
//! file stays as it is (then followed by the added CR LF).
use std::io::{self, BufRead, Write};

/// Send `r` to `w`. `limit` 0 means the whole message.
pub fn blast<R: BufRead, W: Write>(r: &mut R, w: &mut W, mut limit: u64) -> io::Result<()> {
    let mut inheaders = true;
    'lines: loop {
        let first = match r.fill_buf()?.first() {
            None => break,
            Some(&b) => b,
        };
        if limit > 0 && !inheaders {
            limit -= 1;
            if limit == 0 {
                break;
            }
        }
        if first == b'\n' {
            inheaders = false;
        } else if first == b'.' {
            w.write_all(b".")?;
        }
        loop {
            let buf = r.fill_buf()?;
            if buf.is_empty() {
                w.write_all(b"\r\n")?;
                break 'lines;
            }
            match memchr::memchr(b'\n', buf) {
                Some(i) => {
                    w.write_all(buf.get(..i).unwrap_or_default())?;
                    w.write_all(b"\r\n")?;
                    r.consume(i.saturating_add(1));
                    continue 'lines;
                }
                None => {
                    let n = buf.len();
                    w.write_all(buf)?;
                    r.consume(n);
                }
            }
        }
    }
    w.write_all(b"\r\n.\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(msg: &[u8], limit: u64, cap: usize) -> String {
        let mut r = io::BufReader::with_capacity(cap, msg);
        let mut out = Vec::new();
        blast(&mut r, &mut out, limit).unwrap();
        String::from_utf8(out).unwrap()
    }

    const MSG: &[u8] = b"From: a\nSubject: b\n\n.dot\nline 2\n..two\nlast";

    #[test]
    fn whole_message() {
        for cap in [1, 2, 3, 7, 1024] {
            assert_eq!(
                b(MSG, 0, cap),
                "From: a\r\nSubject: b\r\n\r\n..dot\r\nline 2\r\n...two\r\nlast\r\n\r\n.\r\n"
            );
        }
    }

    #[test]
    fn top() {
        assert_eq!(b(MSG, 1, 3), "From: a\r\nSubject: b\r\n\r\n\r\n.\r\n");
        assert_eq!(
            b(MSG, 3, 3),
            "From: a\r\nSubject: b\r\n\r\n..dot\r\nline 2\r\n\r\n.\r\n"
        );
        assert_eq!(b(MSG, 100, 3), b(MSG, 0, 3));
    }

    #[test]
    fn edges() {
        assert_eq!(b(b"", 0, 8), "\r\n.\r\n");
        assert_eq!(b(b"\n", 0, 8), "\r\n\r\n.\r\n");
        assert_eq!(b(b".\n", 0, 8), "..\r\n\r\n.\r\n");
        assert_eq!(b(b"a\r\n", 0, 8), "a\r\r\n\r\n.\r\n");
        // A header-only message: the limit never applies.
        assert_eq!(b(b"A: b\nC: d\n", 1, 8), "A: b\r\nC: d\r\n\r\n.\r\n");
    }
}
