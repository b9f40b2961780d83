//! POP3 command lines, read the way qmail's `commands()` reads them (shared by
//! qmail-popup and qmail-pop3d): a line ends at LF; one CR before it is dropped; the verb
//! runs to the first space and is matched without regard to case; the argument starts
//! after the spaces that follow.
//!
//! qmail handed the line around as a C string, so nothing after a NUL byte was ever seen;
//! the line is cut at its first NUL to keep that meaning. qmail also let a line grow
//! without bound; here a line keeps at most [`LINE_MAX`] bytes and the rest of it is
//! read and dropped, which no POP3 command needs.
use std::io::{self, BufRead};

/// Bytes of a command line that are kept.
pub const LINE_MAX: usize = 64 * 1024;

/// A command: verb and argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Command<'a> {
    pub verb: &'a [u8],
    pub arg: &'a [u8],
}

impl Command<'_> {
    /// Is this the verb `name` (given in lower case)?
    pub fn is(&self, name: &str) -> bool {
        self.verb.eq_ignore_ascii_case(name.as_bytes())
    }
}

/// Split one line (without its LF).
pub fn split(line: &[u8]) -> Command<'_> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = match memchr::memchr(0, line) {
        Some(nul) => line.get(..nul).unwrap_or_default(),
        None => line,
    };
    let (verb, rest) = match memchr::memchr(b' ', line) {
        Some(sp) => (
            line.get(..sp).unwrap_or_default(),
            line.get(sp..).unwrap_or_default(),
        ),
        None => (line, &b""[..]),
    };
    let skip = rest.iter().take_while(|&&b| b == b' ').count();
    Command {
        verb,
        arg: rest.get(skip..).unwrap_or_default(),
    }
}

/// Read the next line into `line` (without its LF). `Ok(false)` at the end of input; a
/// final line without LF is not a command.
pub fn getline<R: BufRead>(r: &mut R, line: &mut Vec<u8>) -> io::Result<bool> {
    line.clear();
    loop {
        let buf = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok(false);
        }
        let (take, done) = match memchr::memchr(b'\n', buf) {
            Some(i) => (i, true),
            None => (buf.len(), false),
        };
        let room = LINE_MAX.saturating_sub(line.len());
        line.extend_from_slice(buf.get(..take.min(room)).unwrap_or_default());
        r.consume(if done { take.saturating_add(1) } else { take });
        if done {
            return Ok(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting() {
        assert_eq!(
            split(b"USER joe\r"),
            Command {
                verb: b"USER",
                arg: b"joe"
            }
        );
        assert_eq!(
            split(b"pass   two words \r"),
            Command {
                verb: b"pass",
                arg: b"two words "
            }
        );
        assert_eq!(
            split(b"noop"),
            Command {
                verb: b"noop",
                arg: b""
            }
        );
        assert_eq!(
            split(b""),
            Command {
                verb: b"",
                arg: b""
            }
        );
        assert_eq!(
            split(b" x"),
            Command {
                verb: b"",
                arg: b"x"
            }
        );
        assert_eq!(
            split(b"stat\r\r"),
            Command {
                verb: b"stat\r",
                arg: b""
            }
        );
        assert_eq!(
            split(b"pass se\0cret"),
            Command {
                verb: b"pass",
                arg: b"se"
            }
        );
        assert_eq!(
            split(b"qu\0it now"),
            Command {
                verb: b"qu",
                arg: b""
            }
        );
        assert!(split(b"QuIt").is("quit"));
        assert!(!split(b"quit2").is("quit"));
    }

    #[test]
    fn lines() {
        let mut r = io::BufReader::with_capacity(4, &b"USER a\r\nPASS b\nTAIL"[..]);
        let mut line = Vec::new();
        assert!(getline(&mut r, &mut line).unwrap());
        assert_eq!(line, b"USER a\r");
        assert!(getline(&mut r, &mut line).unwrap());
        assert_eq!(line, b"PASS b");
        assert!(!getline(&mut r, &mut line).unwrap());
    }

    #[test]
    fn long_line_is_cut_and_the_next_one_found() {
        let mut data = vec![b'x'; LINE_MAX * 3];
        data.extend_from_slice(b"\nnoop\n");
        let mut r = io::BufReader::new(&data[..]);
        let mut line = Vec::new();
        assert!(getline(&mut r, &mut line).unwrap());
        assert_eq!(line.len(), LINE_MAX);
        assert!(getline(&mut r, &mut line).unwrap());
        assert_eq!(line, b"noop");
    }
}
