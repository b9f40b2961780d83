//! Entry points for the fuzz targets (fuzz/ is its own workspace): everything here takes
//! arbitrary bytes and must never panic; the assertions are the properties checked.
use crate::dotqmail::{candidates, lines, parse_line, Instruction};
use crate::dtline::has_dtline;
use crate::parts::host_n;
use qmail_core::mbox::copy_quoted;
use qmail_core::quote::quote2;

/// `.qmail` contents: every line parses, and what an instruction carries is part of the line.
pub fn fuzz_dot_qmail(data: &[u8]) {
    for line in lines(data) {
        assert!(!line.contains(&b'\n'));
        let inside = |s: &[u8]| s.len() <= line.len() && !s.contains(&0);
        match parse_line(line) {
            Instruction::Maildir(p) => assert!(inside(p) && p.ends_with(b"/")),
            Instruction::Mbox(p) | Instruction::Program(p) | Instruction::Forward(p) => {
                assert!(inside(p));
            }
            _ => {}
        }
    }
    for c in candidates(b"-", data) {
        assert!(c.name.starts_with(b".qmail-"));
        assert!(!c.name.contains(&b'.') || c.name.iter().filter(|&&b| b == b'.').count() == 1);
    }
    let q = quote2(data);
    assert!(q.len() <= data.len().saturating_mul(2).saturating_add(2));
    let _ = host_n(data, 3);
    let _ = has_dtline(data, b"Delivered-To: x@y\n");
    let mut out = Vec::new();
    if copy_quoted(data, &mut out).is_ok() {
        assert!(out.len() >= data.len());
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn samples_do_not_panic() {
        for s in [
            &b""[..],
            b"\n",
            b"|x\n&y\n./M/\n./m\n#c\n+list\n",
            b"\0\n\0",
            b"..-.-default",
            b" \t\n",
        ] {
            super::fuzz_dot_qmail(s);
        }
    }

    /// A few thousand pseudo-random inputs drawn from the bytes that matter to the parsers.
    #[test]
    fn random_inputs_do_not_panic() {
        const ALPHABET: &[u8] = b"\n\0 \t|&/.#+-:@>Fromdefault\"\\\r\xff";
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..5000 {
            let mut data = Vec::new();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 64) as usize;
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                data.push(ALPHABET[(x % ALPHABET.len() as u64) as usize]);
            }
            super::fuzz_dot_qmail(&data);
        }
    }
}
