//! The message as DKIM sees it: header fields, and the relaxed canonicalisations (RFC 6376
//! §3.4.2, §3.4.4). Messages in the queue end lines with LF; DKIM hashes CRLF lines, so
//! LF (or CRLF) line ends are read alike and CRLF is written.

/// One header field: its name and its whole text (name, colon, value, continuation lines),
/// without the final line end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field<'a> {
    pub name: &'a [u8],
    pub text: Vec<u8>,
}

fn line_body(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Split a message into header fields and body (everything after the empty line; empty
/// when there is none).
pub fn split(msg: &[u8]) -> (Vec<Field<'_>>, &[u8]) {
    let mut fields: Vec<Field<'_>> = Vec::new();
    let mut pos = 0usize;
    while pos < msg.len() {
        let rest = msg.get(pos..).unwrap_or_default();
        let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        let raw = rest.get(..end).unwrap_or_default();
        let line = line_body(raw);
        let next = pos.saturating_add(end).saturating_add(1);
        if line.is_empty() {
            return (fields, msg.get(next.min(msg.len())..).unwrap_or_default());
        }
        match (line.first(), fields.last_mut()) {
            (Some(b' ' | b'\t'), Some(f)) => {
                f.text.extend_from_slice(b"\r\n");
                f.text.extend_from_slice(line);
            }
            _ => {
                let colon = memchr::memchr(b':', line).unwrap_or(line.len());
                fields.push(Field {
                    name: trim_end(line.get(..colon).unwrap_or_default()),
                    text: line.to_vec(),
                });
            }
        }
        pos = next;
    }
    (fields, &[])
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn trim_end(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., last] = s {
        if !is_wsp(*last) {
            break;
        }
        s = rest;
    }
    s
}

/// White-space runs as one space, trailing white space removed.
fn squeeze(s: &[u8], out: &mut Vec<u8>) {
    let mut space = false;
    for &b in s {
        if is_wsp(b) {
            space = true;
        } else {
            if space {
                out.push(b' ');
            }
            space = false;
            out.push(b);
        }
    }
}

/// relaxed header canonicalisation of one field's text, with CRLF.
pub fn relaxed_header(text: &[u8]) -> Vec<u8> {
    let colon = memchr::memchr(b':', text).unwrap_or(text.len());
    let name = trim_end(text.get(..colon).unwrap_or_default());
    let value: Vec<u8> = text
        .get(colon.saturating_add(1)..)
        .unwrap_or_default()
        .iter()
        .copied()
        .filter(|&b| b != b'\r' && b != b'\n')
        .collect();
    let start = value
        .iter()
        .position(|&b| !is_wsp(b))
        .unwrap_or(value.len());
    let mut out = name.to_ascii_lowercase();
    out.push(b':');
    squeeze(value.get(start..).unwrap_or_default(), &mut out);
    out.extend_from_slice(b"\r\n");
    out
}

/// relaxed body canonicalisation: each line's white space squeezed and trailing white
/// space removed, CRLF line ends, empty lines at the end removed.
pub fn relaxed_body(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len().saturating_add(body.len() / 32));
    let mut blank = 0usize;
    let (body, ended) = match body.strip_suffix(b"\n") {
        Some(b) => (b, true),
        None => (body, false),
    };
    if body.is_empty() {
        return out;
    }
    let last = body.split(|&b| b == b'\n').count().saturating_sub(1);
    for (i, raw) in body.split(|&b| b == b'\n').enumerate() {
        let mut line = Vec::with_capacity(raw.len());
        // A CR ends a line only before LF: one at the very end is content (as sent).
        let raw = if i == last && !ended {
            raw
        } else {
            line_body(raw)
        };
        squeeze(raw, &mut line);
        if line.is_empty() {
            blank = blank.saturating_add(1);
            continue;
        }
        for _ in 0..blank {
            out.extend_from_slice(b"\r\n");
        }
        blank = 0;
        out.extend_from_slice(&line);
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6376_example() {
        // §3.4.6
        assert_eq!(relaxed_header(b"A: X"), b"a:X\r\n");
        assert_eq!(relaxed_header(b"B : Y\t\r\n\tZ  "), b"b:Y Z\r\n");
        assert_eq!(relaxed_body(b" C \r\nD \t E\r\n\r\n\r\n"), b" C\r\nD E\r\n");
        assert_eq!(relaxed_body(b" C \nD \t E\n\n\n"), b" C\r\nD E\r\n");
        assert_eq!(relaxed_body(b""), b"");
        assert_eq!(relaxed_body(b"\n\n"), b"");
        assert_eq!(relaxed_body(b"x"), b"x\r\n");
        assert_eq!(relaxed_body(b"x\r"), b"x\r\r\n");
        assert_eq!(relaxed_body(b"x\r\n"), b"x\r\n");
    }

    #[test]
    fn splitting() {
        let (f, b) = split(b"From: a\nSubject: x\n y\n\nbody\n");
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].name, b"Subject");
        assert_eq!(f[1].text, b"Subject: x\r\n y");
        assert_eq!(b, b"body\n");
        let (f, b) = split(b"From: a\n");
        assert_eq!((f.len(), b), (1, &b""[..]));
    }
}
