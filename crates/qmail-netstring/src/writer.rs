//! Netstrings out: the answers of qmail-qmtpd and qmail-qmqpd, qmail-qmqpc's request.
use std::io::{self, Write};

/// `payload` as one netstring.
pub fn encode(payload: &[u8]) -> Vec<u8> {
    let mut out = payload.len().to_string().into_bytes();
    out.reserve(payload.len().saturating_add(2));
    out.push(b':');
    out.extend_from_slice(payload);
    out.push(b',');
    out
}

/// Write `payload` as one netstring.
pub fn write(w: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    write!(w, "{}:", payload.len())?;
    w.write_all(payload)?;
    w.write_all(b",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes() {
        assert_eq!(encode(b""), b"0:,");
        assert_eq!(encode(b"Kok 1 qp 2"), b"10:Kok 1 qp 2,");
        let mut v = Vec::new();
        write(&mut v, b"hello world!").unwrap();
        assert_eq!(v, b"12:hello world!,");
        // The two refusals qmail-qmtpd sends as fixed strings.
        assert!(
            encode(b"Dsorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)")
                .starts_with(b"66:")
        );
        assert!(encode(b"Dsorry, I can't handle that recipient (#5.1.3)").starts_with(b"46:"));
    }
}
