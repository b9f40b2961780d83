//! The two requests qmail-send makes: `foop/<id>` (message finished: remove intd and mess)
//! and `todo/<id>` (preprocessed: remove intd and todo).
use std::io;
use std::path::Path;

use qmail_core::queue::Dir;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    Foop(u64),
    Todo(u64),
}

impl Request {
    /// A request including its terminating NUL. 1.03 answers `x` for a non-digit and then
    /// still acts on the digits before it; here a malformed request gets one `x` and
    /// nothing is removed, so replies stay in step with requests.
    pub fn parse(line: &[u8]) -> Option<Request> {
        if line.len() < 7 || line.len() > super::MAX_REQUEST {
            return None;
        }
        let (body, nul) = line.split_at(line.len() - 1);
        if nul != [0] {
            return None;
        }
        let (prefix, digits) = body.split_at(5);
        let id = id_digits(digits)?;
        match prefix {
            b"foop/" => Some(Request::Foop(id)),
            b"todo/" => Some(Request::Todo(id)),
            _ => None,
        }
    }
}

/// Digits only (leading zeros allowed, as scan_ulong accepts them).
fn id_digits(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Carry out a request; the reply byte is `+` on success, `!` if an unlink failed with
/// anything but ENOENT.
pub fn handle(queue: &Path, req: Request) -> u8 {
    let (id, second) = match req {
        Request::Foop(id) => (id, Dir::Mess.path(id)),
        Request::Todo(id) => (id, Dir::Todo.path(id)),
    };
    for name in [Dir::Intd.path(id), second] {
        match std::fs::remove_file(queue.join(name)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(_) => return b'!',
        }
    }
    b'+'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_requests() {
        assert_eq!(Request::parse(b"foop/123\0"), Some(Request::Foop(123)));
        assert_eq!(Request::parse(b"todo/0\0"), Some(Request::Todo(0)));
        assert_eq!(Request::parse(b"todo/\0"), None); // 6 bytes: too short
        assert_eq!(Request::parse(b"todo/12"), None); // no NUL
        assert_eq!(Request::parse(b"todo/1a\0"), None);
        assert_eq!(Request::parse(b"mess/12\0"), None);
        let long = [b"todo/".as_slice(), &[b'1'; 95], b"\0"].concat();
        assert_eq!(long.len(), 101);
        assert_eq!(Request::parse(&long), None);
    }
}
