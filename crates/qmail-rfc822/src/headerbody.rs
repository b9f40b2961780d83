//! headerbody: split a message into header fields and body, as qmail-inject sees it.
//!
//! The header is every line up to an empty line. A line starting with white space
//! continues the previous field. A `From ` line (an mbox separator) is kept as the field
//! `MBOX-Line: From …`. The first line that is not a valid field ends the header: the
//! body then starts with an inserted empty line followed by that line. A final line
//! without a newline gets one, in the header and in the body.
//!
//! The header is held in memory (any size, up to memory); the body is streamed by
//! `copy_body` with a fixed buffer.
use std::io::{self, BufRead};

use crate::hfield;

/// How the header ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyStart {
    /// End of input inside the header: no body, no separating empty line.
    Eof,
    /// An empty line: the body is that line and what follows.
    Blank,
    /// A line that is not a field: the body is an empty line, this line and the rest.
    Line(Vec<u8>),
}

impl BodyStart {
    /// The body bytes this start stands for (before the rest of the input).
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            BodyStart::Eof => Vec::new(),
            BodyStart::Blank => b"\n".to_vec(),
            BodyStart::Line(l) => {
                let mut v = Vec::with_capacity(l.len().saturating_add(1));
                v.push(b'\n');
                v.extend_from_slice(l);
                v
            }
        }
    }
}

/// One line with its newline (added when the input ends without one); None at the end.
fn getline<R: BufRead>(r: &mut R) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    loop {
        match r.read_until(b'\n', &mut line) {
            Ok(0) if line.is_empty() => return Ok(None),
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    if line.last() != Some(&b'\n') {
        line.push(b'\n');
    }
    Ok(Some(line))
}

/// Read the header: its fields (each with its continuation lines and final newline) and
/// how the body starts.
pub fn read_header<R: BufRead>(r: &mut R) -> io::Result<(Vec<Vec<u8>>, BodyStart)> {
    let mut fields = Vec::new();
    let mut field: Option<Vec<u8>> = None;
    loop {
        let Some(next) = getline(r)? else {
            fields.extend(field);
            return Ok((fields, BodyStart::Eof));
        };
        if let Some(f) = field.as_mut() {
            if matches!(next.first(), Some(b' ' | b'\t')) {
                f.extend_from_slice(&next);
                continue;
            }
        }
        fields.extend(field.take());
        if next == b"\n" {
            return Ok((fields, BodyStart::Blank));
        }
        if next.starts_with(b"From ") {
            let mut f = b"MBOX-Line: ".to_vec();
            f.extend_from_slice(&next);
            field = Some(f);
        } else if hfield::valid(&next) {
            field = Some(next);
        } else {
            return Ok((fields, BodyStart::Line(next)));
        }
    }
}

/// Copy the rest of the input to `out` in buffer-sized pieces, adding a newline when the
/// input does not end with one. Memory use does not depend on the body size.
pub fn copy_body<R: BufRead>(r: &mut R, out: &mut dyn FnMut(&[u8])) -> io::Result<()> {
    let mut last = b'\n';
    loop {
        let buf = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let Some(&l) = buf.last() else { break };
        last = l;
        out(buf);
        let n = buf.len();
        r.consume(n);
    }
    if last != b'\n' {
        out(b"\n");
    }
    Ok(())
}

/// The whole split, for tests and fuzzing: fields and body bytes.
pub fn split(msg: &[u8]) -> (Vec<Vec<u8>>, Vec<u8>) {
    let mut r = io::BufReader::new(msg);
    let Ok((fields, start)) = read_header(&mut r) else {
        return (Vec::new(), Vec::new());
    };
    let mut body = start.bytes();
    let _ = copy_body(&mut r, &mut |b| body.extend_from_slice(b));
    (fields, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: &[&str]) -> Vec<Vec<u8>> {
        x.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn fields_and_blank() {
        let (f, b) = split(b"A: 1\nB: 2\n  cont\n\tmore\n\nbody\nx");
        assert_eq!(f, v(&["A: 1\n", "B: 2\n  cont\n\tmore\n"]));
        assert_eq!(b, b"\nbody\nx\n");
    }

    #[test]
    fn not_a_field_starts_body() {
        let (f, b) = split(b"A: 1\nnot a field\nrest\n");
        assert_eq!(f, v(&["A: 1\n"]));
        assert_eq!(b, b"\nnot a field\nrest\n");
        let (f, b) = split(b"just body\n");
        assert!(f.is_empty());
        assert_eq!(b, b"\njust body\n");
    }

    #[test]
    fn mbox_line_and_eof() {
        let (f, b) = split(b"From x y\nA: 1");
        assert_eq!(f, v(&["MBOX-Line: From x y\n", "A: 1\n"]));
        assert!(b.is_empty());
        let (f, b) = split(b"");
        assert!(f.is_empty() && b.is_empty());
    }

    #[test]
    fn continuation_of_nothing_is_body() {
        let (f, b) = split(b" leading space\n");
        assert!(f.is_empty());
        assert_eq!(b, b"\n leading space\n");
    }

    #[test]
    fn body_streams_in_pieces() {
        let data = vec![b'x'; 100_000];
        let mut r = io::BufReader::with_capacity(4096, &data[..]);
        let mut biggest = 0;
        let mut total = 0;
        copy_body(&mut r, &mut |b| {
            biggest = biggest.max(b.len());
            total += b.len();
        })
        .unwrap();
        assert!(biggest <= 4096);
        assert_eq!(total, 100_001);
    }
}
