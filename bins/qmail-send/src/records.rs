//! NUL-terminated queue records: the todo envelope (u, p, F, T) and the channel files
//! (T, D). A final fragment without its NUL is not a record (a crash cut it short).
use std::io::{self, BufRead};

use crate::sched::Record;

/// One record of a todo file.
#[derive(Debug, PartialEq, Eq)]
pub enum TodoRec<'a> {
    Uid(&'a [u8]),
    Pid(&'a [u8]),
    From(&'a [u8]),
    To(&'a [u8]),
}

/// The records of a todo file, or `None` when one has an unknown type.
pub fn parse_todo(data: &[u8]) -> Option<Vec<TodoRec<'_>>> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(nul) = memchr_nul(rest) {
        let (rec, tail) = rest.split_at(nul);
        rest = tail.get(1..).unwrap_or(&[]);
        let (&kind, body) = rec.split_first()?;
        out.push(match kind {
            b'u' => TodoRec::Uid(body),
            b'p' => TodoRec::Pid(body),
            b'F' => TodoRec::From(body),
            b'T' => TodoRec::To(body),
            _ => return None,
        });
    }
    Some(out)
}

fn memchr_nul(s: &[u8]) -> Option<usize> {
    s.iter().position(|&b| b == 0)
}

/// The next record of a channel file being passed over.
pub fn next_record(r: &mut impl BufRead) -> Record {
    let mut line = Vec::new();
    match r.read_until(0, &mut line) {
        Err(_) => Record::ReadError,
        Ok(_) if line.last() != Some(&0) => Record::Eof,
        Ok(n) => match line.first() {
            Some(b'T') => {
                line.pop();
                line.remove(0);
                Record::Todo(line)
            }
            Some(b'D') => Record::Done(n as u64),
            _ => Record::Unknown,
        },
    }
}

/// The sender recorded in an info file: `F<sender>\0`.
pub fn info_sender(data: &[u8]) -> Option<Vec<u8>> {
    let nul = memchr_nul(data)?;
    let rec = data.get(..nul)?;
    rec.strip_prefix(b"F").map(<[u8]>::to_vec)
}

/// Read a whole small queue file.
pub fn slurp(path: &str) -> io::Result<Vec<u8>> {
    std::fs::read(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn todo_records() {
        let t = parse_todo(b"u0\0p42\0Fa@b\0Tc@d\0T\0partial").unwrap_or_default();
        assert_eq!(
            t,
            [
                TodoRec::Uid(b"0"),
                TodoRec::Pid(b"42"),
                TodoRec::From(b"a@b"),
                TodoRec::To(b"c@d"),
                TodoRec::To(b"")
            ]
        );
        assert_eq!(parse_todo(b"u0\0X\0"), None);
        assert_eq!(parse_todo(b"u0\0\0"), None);
        assert_eq!(parse_todo(b""), Some(vec![]));
    }

    #[test]
    fn channel_records() {
        let mut r = io::Cursor::new(b"Ta@b\0Dxy\0Q\0Tcut".to_vec());
        assert_eq!(next_record(&mut r), Record::Todo(b"a@b".to_vec()));
        assert_eq!(next_record(&mut r), Record::Done(4));
        assert_eq!(next_record(&mut r), Record::Unknown);
        assert_eq!(next_record(&mut r), Record::Eof);
    }

    #[test]
    fn info() {
        assert_eq!(info_sender(b"Fa@b\0"), Some(b"a@b".to_vec()));
        assert_eq!(info_sender(b"F\0"), Some(vec![]));
        assert_eq!(info_sender(b"Fa@b"), None);
        assert_eq!(info_sender(b"Ta\0"), None);
    }
}
