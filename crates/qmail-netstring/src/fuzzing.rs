//! Fuzz entry points (the fuzz/ workspace wraps them in `fuzz_target!`). They panic only
//! when a property fails.
use std::io::Cursor;

use crate::{encode, parse, Error, Reader};

/// Split `data` into netstrings with both the in-memory parser and the streaming reader:
/// they must agree, every payload must re-encode to exactly the bytes it came from, and
/// nothing may panic or read past a budget.
pub fn fuzz_netstring(data: &[u8]) {
    let mut rest = data;
    let mut reader = Reader::new(Cursor::new(data));
    loop {
        let parsed = parse(rest);
        let streamed = reader.length().and_then(|n| {
            let keep = usize::try_from(n).unwrap_or(usize::MAX);
            reader.payload(n, keep.saturating_add(1))
        });
        match (parsed, streamed) {
            (Ok((payload, tail)), Ok(Some(got))) => {
                assert_eq!(payload, &got[..], "reader and parser disagree");
                // The bytes consumed are digits (none means 0, as in qmail), `:`, the
                // payload and `,`; the digits' value is the payload's length.
                let consumed = rest.len().saturating_sub(tail.len());
                let digits = consumed.saturating_sub(payload.len()).saturating_sub(2);
                let (head, body) = rest.split_at(digits);
                assert!(
                    head.iter().all(u8::is_ascii_digit),
                    "length with a non-digit"
                );
                let value = head.iter().fold(0u64, |n, &b| {
                    n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
                });
                assert_eq!(value, payload.len() as u64, "length differs");
                let mut again = encode(payload);
                again.drain(..again.iter().position(|&b| b == b':').unwrap_or(0));
                assert_eq!(
                    body.get(..again.len()),
                    Some(&again[..]),
                    "re-encoding differs"
                );
                rest = tail;
            }
            (p, s) => {
                let agree = matches!(
                    (&p, &s),
                    (Err(Error::Eof), Err(Error::Eof))
                        | (Err(Error::Proto), Err(Error::Proto))
                        | (Err(Error::TooLarge), Err(Error::TooLarge))
                );
                assert!(agree, "parser {p:?} vs reader {s:?}");
                break;
            }
        }
    }
    // A budget is never overrun: reading nested netstrings within the first few bytes.
    let budget = u64::try_from(data.len() / 2).unwrap_or(0);
    let mut r = Reader::new(Cursor::new(data));
    r.set_budget(Some(budget));
    let mut used = 0u64;
    while let Ok(b) = r.byte() {
        let _ = b;
        used = used.saturating_add(1);
    }
    assert!(used <= budget, "read {used} bytes on a budget of {budget}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples() {
        for s in [
            &b""[..],
            b"0:,",
            b"5:hello,3:abc,",
            b"x:junk",
            b"3:ab",
            b"00005:hello,",
            b"999999999999:",
            b"1:a;",
            b"2:\0\0,0:,0:,1",
            b":,\n7\n",
        ] {
            fuzz_netstring(s);
        }
    }

    #[test]
    fn pseudo_random() {
        let mut x: u32 = 12345;
        for _ in 0..5000 {
            let len = (x % 40) as usize;
            let mut v = Vec::with_capacity(len);
            for _ in 0..len {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                v.push(b"0123456789:,ab"[(x >> 16) as usize % 14]);
            }
            fuzz_netstring(&v);
        }
    }
}
