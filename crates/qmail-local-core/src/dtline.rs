//! The loop check: does the message header already hold our Delivered-To line?
use std::io::{self, BufRead, BufReader, Read};

/// Longest header line looked at by the loop check; longer lines are compared by their
/// first bytes only, which cannot equal a (shorter) Delivered-To line anyway.
const LINE_MAX: u64 = 64 * 1024;

/// Does the header (lines up to the first line of at most one byte) contain `dtline`
/// byte for byte?
pub fn has_dtline(r: impl Read, dtline: &[u8]) -> io::Result<bool> {
    let mut r = BufReader::new(r);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut r).take(LINE_MAX).read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(false);
        }
        if line.last() != Some(&b'\n') && n as u64 == LINE_MAX {
            // an overlong line: skip the rest of it
            let mut sink = Vec::new();
            loop {
                sink.clear();
                let m = (&mut r).take(LINE_MAX).read_until(b'\n', &mut sink)?;
                if m == 0 || sink.last() == Some(&b'\n') {
                    break;
                }
            }
            continue;
        }
        if line.len() <= 1 {
            return Ok(false);
        }
        if line == dtline {
            return Ok(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DT: &[u8] = b"Delivered-To: joe@x\n";

    #[test]
    fn loop_only_in_header() {
        assert!(has_dtline(&b"Subject: a\nDelivered-To: joe@x\n\nbody\n"[..], DT).unwrap());
        assert!(!has_dtline(&b"Subject: a\n\nDelivered-To: joe@x\n"[..], DT).unwrap());
        assert!(!has_dtline(&b"Delivered-To: Joe@x\n\n"[..], DT).unwrap());
        assert!(!has_dtline(&b"Delivered-To: joe@x"[..], DT).unwrap());
        assert!(!has_dtline(&b""[..], DT).unwrap());
        assert!(has_dtline(&b"a\nx\nDelivered-To: joe@x\n"[..], DT).unwrap());
    }

    #[test]
    fn overlong_lines_are_skipped() {
        let mut m = vec![b'X'; 200_000];
        m.extend_from_slice(b"\nDelivered-To: joe@x\n\n");
        assert!(has_dtline(&m[..], DT).unwrap());
    }
}
