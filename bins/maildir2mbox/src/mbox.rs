//! The mbox side: a message from a Maildir file as an mbox entry.
use std::io::{self, BufRead, Read, Write};

use qmail_core::date822;
pub use qmail_core::mbox::{copy_quoted, CopyError};

/// `Fri Nov 27 00:02:22 2026\n`: ctime(3) in UTC with the day zero-padded, as in
/// qmail-local's UFLINE.
pub fn myctime(t: i64) -> String {
    let mut s = date822::myctime(t);
    s.push('\n');
    s
}

/// The From_ line's address, from a first line `Return-Path: <X>`: `<>` is
/// MAILER-DAEMON, spaces and tabs become `-`; any other first line gives `XXX`.
pub fn from_address(first: &[u8]) -> Vec<u8> {
    let Some(rest) = first.strip_prefix(b"Return-Path: <") else {
        return b"XXX".to_vec();
    };
    if !first.ends_with(b"\n") {
        return b"XXX".to_vec();
    }
    if rest.first() == Some(&b'>') {
        return b"MAILER-DAEMON".to_vec();
    }
    // Drop the `>\n` that ends the line, whatever the two bytes are.
    let addr = rest.get(..rest.len().saturating_sub(2)).unwrap_or_default();
    addr.iter()
        .map(|&c| if c == b' ' || c == b'\t' { b'-' } else { c })
        .collect()
}

/// Write one mbox entry: From_ line, the message with >From quoting, a newline after
/// a partial last line, and the blank separator line.
pub fn copy_message(
    input: &mut impl BufRead,
    mtime: i64,
    out: &mut impl Write,
) -> Result<(), CopyError> {
    let mut line = Vec::new();
    input
        .read_until(b'\n', &mut line)
        .map_err(CopyError::Read)?;
    out.write_all(b"From ").map_err(CopyError::Write)?;
    out.write_all(&from_address(&line))
        .map_err(CopyError::Write)?;
    out.write_all(b" ").map_err(CopyError::Write)?;
    out.write_all(myctime(mtime).as_bytes())
        .map_err(CopyError::Write)?;
    copy_quoted(io::Cursor::new(line).chain(input), out)?;
    out.write_all(b"\n").map_err(CopyError::Write)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctime() {
        assert_eq!(myctime(0), "Thu Jan 01 00:00:00 1970\n");
        assert_eq!(myctime(1_795_737_742), "Fri Nov 27 00:02:22 2026\n");
    }

    #[test]
    fn from_lines() {
        assert_eq!(from_address(b"Return-Path: <a b\tc@x>\n"), b"a-b-c@x");
        assert_eq!(from_address(b"Return-Path: <>\n"), b"MAILER-DAEMON");
        assert_eq!(from_address(b"Received: x\n"), b"XXX");
        assert_eq!(from_address(b"Return-Path: <a@x>"), b"XXX");
        assert_eq!(from_address(b""), b"XXX");
    }

    #[test]
    fn entry() {
        let mut out = Vec::new();
        copy_message(
            &mut &b"Return-Path: <>\nFrom me\n\n>From you\nlast"[..],
            0,
            &mut out,
        )
        .unwrap();
        assert_eq!(
            out,
            b"From MAILER-DAEMON Thu Jan 01 00:00:00 1970\nReturn-Path: <>\n>From me\n\n>>From you\nlast\n\n"
        );
    }
}
