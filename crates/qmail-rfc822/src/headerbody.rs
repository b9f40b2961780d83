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
    /// A line that is not a field: the body is an empty line, this line (or its start,
    /// when the rest is still to be read) and the rest.
    Line(Vec<u8>),
}

impl BodyStart {
    /// The last byte of `bytes()`, or a newline when it is empty.
    pub fn last(&self) -> u8 {
        match self {
            BodyStart::Line(l) => l.last().copied().unwrap_or(b'\n'),
            _ => b'\n',
        }
    }

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

/// What the next input line turned out to be.
enum Got {
    /// End of input.
    Eof,
    /// A whole line with its newline (added at the end of input).
    Line(Vec<u8>),
    /// The start of a line that can no longer be a header field; the rest of the line is
    /// still in the reader, so a huge first body line is never held in memory.
    Body(Vec<u8>),
}

/// Watches the bytes of a line to decide, as early as `hfield::valid` allows, that it
/// cannot be a field: a control or 8-bit byte, or a space inside the name, before any
/// colon. `From ` lines and continuation lines are header lines.
struct Scan {
    continuing: bool,
    pos: usize,
    decided: bool,
    from: bool,
    space: bool,
}

impl Scan {
    fn not_a_field(&mut self, c: u8) -> bool {
        if self.decided {
            return false;
        }
        let pos = self.pos;
        self.pos = pos.saturating_add(1);
        if pos == 0 && self.continuing && (c == b' ' || c == b'\t') {
            self.decided = true;
            return false;
        }
        if self.from {
            self.from = b"From ".get(pos) == Some(&c);
            if self.from && pos == 4 {
                self.decided = true;
                return false;
            }
        }
        if c == b':' {
            self.decided = true;
            return false;
        }
        if self.from {
            return false;
        }
        if c == b' ' || c == b'\t' {
            self.space = true;
            return false;
        }
        !(32..127).contains(&c) || self.space
    }
}

fn next_line<R: BufRead>(r: &mut R, continuing: bool) -> io::Result<Got> {
    let mut line = Vec::new();
    let mut scan = Scan {
        continuing,
        pos: 0,
        decided: false,
        from: true,
        space: false,
    };
    loop {
        let buf = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            if line.is_empty() {
                return Ok(Got::Eof);
            }
            line.push(b'\n');
            return Ok(Got::Line(line));
        }
        let mut end = None;
        for (i, &c) in buf.iter().enumerate() {
            if c == b'\n' {
                end = Some((i, true));
                break;
            }
            if scan.not_a_field(c) {
                end = Some((i, false));
                break;
            }
        }
        let take = end.map_or(buf.len(), |(i, _)| i.saturating_add(1));
        line.extend_from_slice(buf.get(..take).unwrap_or_default());
        r.consume(take);
        match end {
            Some((_, true)) => return Ok(Got::Line(line)),
            Some((_, false)) => return Ok(Got::Body(line)),
            None => {}
        }
    }
}

/// Read the header: its fields (each with its continuation lines and final newline) and
/// how the body starts.
pub fn read_header<R: BufRead>(r: &mut R) -> io::Result<(Vec<Vec<u8>>, BodyStart)> {
    let mut fields = Vec::new();
    let mut field: Option<Vec<u8>> = None;
    loop {
        let next = match next_line(r, field.is_some())? {
            Got::Eof => {
                fields.extend(field);
                return Ok((fields, BodyStart::Eof));
            }
            Got::Body(start) => {
                fields.extend(field);
                return Ok((fields, BodyStart::Line(start)));
            }
            Got::Line(l) => l,
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
/// input does not end with one. `last` is the last body byte already written (a newline
/// when none was). Memory use does not depend on the body size.
pub fn copy_body<R: BufRead>(
    r: &mut R,
    mut last: u8,
    out: &mut dyn FnMut(&[u8]),
) -> io::Result<()> {
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
    let _ = copy_body(&mut r, start.last(), &mut |b| body.extend_from_slice(b));
    (fields, body)
}

#[cfg(test)]
mod tests;
