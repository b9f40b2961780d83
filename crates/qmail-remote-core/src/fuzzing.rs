//! Entry points for the fuzz targets (fuzz/ is its own workspace and calls these).
use crate::reply::{self, SliceSource, TEXT_MAX};

/// Read SMTP replies from `data` until it runs out: never a panic, never more than
/// `TEXT_MAX` bytes of text kept, and always progress.
pub fn fuzz_smtp_reply(data: &[u8]) {
    let mut src = SliceSource { data, pos: 0 };
    loop {
        let before = src.pos;
        match reply::read(&mut src) {
            Ok(r) => {
                assert!(r.text.len() <= TEXT_MAX);
                assert!(src.pos > before);
            }
            Err(()) => break,
        }
    }
}

/// Encode `data` as DATA content: the output never contains CR or LF outside CRLF pairs
/// and never an end-of-data line other than the final one.
pub fn fuzz_blast(data: &[u8]) {
    let Ok(out) = crate::blast::encode(data) else {
        return;
    };
    assert!(out.ends_with(b".\r\n"));
    let body = out.get(..out.len().saturating_sub(3)).unwrap_or_default();
    let mut prev = None;
    for (i, &b) in body.iter().enumerate() {
        match b {
            b'\r' => assert_eq!(body.get(i + 1), Some(&b'\n')),
            b'\n' => assert_eq!(prev, Some(b'\r')),
            _ => {}
        }
        prev = Some(b);
    }
    for line in body.split(|&b| b == b'\n') {
        assert_ne!(line, b".\r");
    }
}

/// Read `data` as the text of an EHLO reply: never a panic, and a declared SIZE limit
/// is always positive.
pub fn fuzz_ehlo(data: &[u8]) {
    let e = crate::ehlo::parse(data);
    if let Some(limit) = e.size_limit {
        assert!(limit > 0 && e.size);
    }
}

/// Read `data` as control/tlsdestinations and look up a name taken from it: never a
/// panic, and a file that parses names no host with a space or a control byte.
pub fn fuzz_tlspolicy(data: &[u8]) {
    let lines: Vec<Vec<u8>> = data.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    if let Ok(p) = crate::tlspolicy::parse(&lines) {
        let name = lines.first().map(Vec::as_slice).unwrap_or_default();
        let _ = p.lookup(&[name, b"example.com"]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzz_entry_points_hold_on_samples() {
        let mut r: u32 = 99;
        for n in 0..3000usize {
            let mut d = Vec::new();
            for _ in 0..(n % 97) {
                r = r.wrapping_mul(69069).wrapping_add(1);
                d.push(b"25-0 \r\n.x"[(r >> 28) as usize % 9]);
            }
            fuzz_smtp_reply(&d);
            fuzz_blast(&d);
            fuzz_ehlo(&d);
            fuzz_tlspolicy(&d);
        }
    }
}
