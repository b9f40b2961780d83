//! mbox entries: a message copied with `>From ` quoting (a line that a mail reader would
//! take for the start of a new message gets one more `>`), and a newline added after a
//! last line without one. qmail-local's mbox delivery and maildir2mbox both write this.
use std::io::{self, BufRead, BufReader, Read, Write};

/// Lines are quoted by looking at (at most) this many bytes at their start, so a line of
/// any length is copied in bounded memory.
const LINE_CHUNK: u64 = 64 * 1024;

#[derive(Debug)]
pub enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

/// `^>*From `: such a line would start a new message in an mbox.
pub fn needs_quote(line: &[u8]) -> bool {
    let start = line.iter().position(|&b| b != b'>').unwrap_or(line.len());
    line.get(start..)
        .is_some_and(|rest| rest.starts_with(b"From "))
}

/// Copy the message with `>From ` quoting; a last line without newline gets one.
pub fn copy_quoted(r: impl Read, w: &mut impl Write) -> Result<(), CopyError> {
    let mut r = BufReader::new(r);
    let mut chunk = Vec::new();
    let mut at_line_start = true;
    loop {
        chunk.clear();
        let n = (&mut r)
            .take(LINE_CHUNK)
            .read_until(b'\n', &mut chunk)
            .map_err(CopyError::Read)?;
        if n == 0 {
            break;
        }
        if at_line_start && needs_quote(&chunk) {
            w.write_all(b">").map_err(CopyError::Write)?;
        }
        w.write_all(&chunk).map_err(CopyError::Write)?;
        at_line_start = chunk.last() == Some(&b'\n');
    }
    if !at_line_start {
        w.write_all(b"\n").map_err(CopyError::Write)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(m: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        copy_quoted(m, &mut out).unwrap();
        out
    }

    #[test]
    fn which_lines() {
        assert!(needs_quote(b"From x\n"));
        assert!(needs_quote(b">>From x\n"));
        assert!(!needs_quote(b" From x\n"));
        assert!(!needs_quote(b"From\n"));
        assert!(!needs_quote(b">>>\n"));
    }

    #[test]
    fn from_lines_are_quoted() {
        assert_eq!(quoted(b"From me\nx\n"), b">From me\nx\n");
        assert_eq!(
            quoted(b"a\nFrom x\n>From y\n>>From z\n"),
            b"a\n>From x\n>>From y\n>>>From z\n"
        );
        assert_eq!(
            quoted(b"From\nFromx\n From y\n>From\n"),
            b"From\nFromx\n From y\n>From\n"
        );
        assert_eq!(quoted(b"from x\n"), b"from x\n");
    }

    #[test]
    fn missing_final_newline_is_added() {
        assert_eq!(quoted(b"a\nFrom b"), b"a\n>From b\n");
        assert_eq!(quoted(b""), b"");
    }

    #[test]
    fn long_lines_are_quoted_once() {
        let mut m = b"From ".to_vec();
        m.extend(std::iter::repeat(b'x').take(200_000));
        m.extend_from_slice(b"\nFrom y\n");
        let q = quoted(&m);
        assert_eq!(q.len(), m.len() + 2);
        assert!(q.starts_with(b">From xx"));
        assert!(q.ends_with(b"x\n>From y\n"));
    }
}
