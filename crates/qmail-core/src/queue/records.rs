//! The records of the queue files. Every record ends with a NUL; a final fragment without
//! its NUL is not a record (a crash cut it short, or a writer is still at work).
//!
//! - todo/<id>, intd/<id>: `u<uid>\0p<pid>\0F<sender>\0T<recip>\0…` (qmail-queue);
//! - info/N/<id>: `F<sender>\0` (qmail-send's todo phase);
//! - local/N/<id>, remote/N/<id>: `T<recip>\0…`, each `T` overwritten in place by `D`
//!   once that recipient is done;
//! - bounce/<id>: one paragraph per failed recipient, `<recip>:\n<report>\n\n`.
use std::io::{self, BufRead};

/// The byte that marks a channel record done; qmail-send writes it over the `T`.
pub const DONE: u8 = b'D';

/// One record of a todo or intd file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TodoRec<'a> {
    Uid(&'a [u8]),
    Pid(&'a [u8]),
    From(&'a [u8]),
    To(&'a [u8]),
}

/// The complete records of `data`, split at each NUL (the fragment after the last is
/// dropped).
fn complete(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let end = data.iter().rposition(|&b| b == 0).map_or(0, |i| i + 1);
    let whole = data.get(..end).unwrap_or_default();
    whole
        .split(|&b| b == 0)
        .take(whole.iter().filter(|&&b| b == 0).count())
}

/// The records of a todo file, or `None` when one has an unknown type.
pub fn parse_todo(data: &[u8]) -> Option<Vec<TodoRec<'_>>> {
    complete(data)
        .map(|rec| {
            let (&kind, body) = rec.split_first()?;
            Some(match kind {
                b'u' => TodoRec::Uid(body),
                b'p' => TodoRec::Pid(body),
                b'F' => TodoRec::From(body),
                b'T' => TodoRec::To(body),
                _ => return None,
            })
        })
        .collect()
}

/// What qmail-queue writes before the submitter's envelope: `u<uid>\0p<pid>\0`.
pub fn todo_head(uid: u32, pid: u32) -> Vec<u8> {
    format!("u{uid}\0p{pid}\0").into_bytes()
}

/// A whole todo file: the head, `F<sender>\0`, `T<recip>\0` per recipient.
pub fn encode_todo(uid: u32, pid: u32, sender: &[u8], rcpts: &[&[u8]]) -> Vec<u8> {
    let mut v = todo_head(uid, pid);
    let mut env = crate::text0::build(sender, rcpts);
    env.pop(); // the submitter's final NUL is not stored
    v.append(&mut env);
    v
}

/// info/N/<id>: `F<sender>\0`.
pub fn encode_info(sender: &[u8]) -> Vec<u8> {
    [b"F", sender, b"\0"].concat()
}

/// The sender recorded in an info file, if its first record is a complete `F` record.
pub fn decode_info(data: &[u8]) -> Option<&[u8]> {
    complete(data).next()?.strip_prefix(b"F")
}

/// Append the channel record of a recipient still to do: `T<recip>\0`.
pub fn encode_chan(recip: &[u8], out: &mut Vec<u8>) {
    out.push(b'T');
    out.extend_from_slice(recip);
    out.push(0);
}

/// One complete record of a channel file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChanRec<'a> {
    /// `T<recip>\0`: still to do.
    Todo(&'a [u8]),
    /// `D<recip>\0`: delivered, or bounced.
    Done(&'a [u8]),
    /// Any other first byte (qmail-send skips it).
    Unknown,
}

/// The complete records of a channel file.
pub fn decode_chan(data: &[u8]) -> Vec<ChanRec<'_>> {
    complete(data).map(chan_rec).collect()
}

fn chan_rec(rec: &[u8]) -> ChanRec<'_> {
    match rec.split_first() {
        Some((b'T', r)) => ChanRec::Todo(r),
        Some((&DONE, r)) => ChanRec::Done(r),
        _ => ChanRec::Unknown,
    }
}

/// One record read from a channel file during a pass.
#[derive(Debug, PartialEq, Eq)]
pub enum ChanRead {
    /// A recipient still to do.
    Todo(Vec<u8>),
    /// A done record of this many bytes, its NUL included.
    Done(u64),
    /// A record of another type, of this many bytes.
    Unknown(u64),
    /// The end, or a fragment without its NUL.
    Eof,
}

/// The next record of a channel file read from `r`.
pub fn read_chan(r: &mut impl BufRead) -> io::Result<ChanRead> {
    let mut line = Vec::new();
    let n = r.read_until(0, &mut line)? as u64;
    if line.pop() != Some(0) {
        return Ok(ChanRead::Eof);
    }
    Ok(match chan_rec(&line) {
        ChanRec::Todo(recip) => ChanRead::Todo(recip.to_vec()),
        ChanRec::Done(_) => ChanRead::Done(n),
        ChanRec::Unknown => ChanRead::Unknown(n),
    })
}

/// The paragraph appended to bounce/<id>: `<recip>:\n`, the report (with a final newline
/// added), any blank line inside made non-blank, then the blank terminator line. So the
/// paragraphs of a bounce file are separated by its only blank lines.
pub fn encode_bounce(recip: &[u8], report: &[u8]) -> Vec<u8> {
    let mut t = Vec::with_capacity(recip.len().saturating_add(report.len()).saturating_add(8));
    t.push(b'<');
    t.extend(recip.iter().map(|&b| if b == b'\n' { b'_' } else { b }));
    t.extend_from_slice(b">:\n");
    t.extend_from_slice(report);
    if report.last().is_some_and(|&b| b != b'\n') {
        t.push(b'\n');
    }
    // Walking backwards from the second-to-last byte, a newline that follows a newline
    // becomes `/`: every run keeps only its first newline, the final byte is untouched.
    let mut pos = t.len().saturating_sub(2);
    while pos > 0 {
        if t.get(pos) == Some(&b'\n') && t.get(pos - 1) == Some(&b'\n') {
            if let Some(b) = t.get_mut(pos) {
                *b = b'/';
            }
        }
        pos -= 1;
    }
    t.push(b'\n');
    t
}

/// The paragraphs of a bounce file: `(recip, report)`, the report with its final newline.
/// A paragraph not yet ended by its blank line is not returned.
pub fn decode_bounce(data: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(end) = rest.windows(2).position(|w| w == b"\n\n") {
        let para = rest.get(..=end).unwrap_or_default();
        rest = rest.get(end + 2..).unwrap_or_default();
        let Some(colon) = para.windows(3).position(|w| w == b">:\n") else {
            continue;
        };
        let recip = para.get(1..colon).unwrap_or_default();
        out.push((recip, para.get(colon + 3..).unwrap_or_default()));
    }
    out
}

#[cfg(test)]
mod tests;
