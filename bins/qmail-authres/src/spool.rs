//! Reading what qmail-smtpd hands over: the message on fd 0 and the envelope on fd 1. The
//! header section is kept in memory (at most [`HEADER_MAX`] bytes); the body goes to an
//! unnamed temporary file while DKIM hashes it, so memory stays bounded whatever the size.
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use qmail_dkim_core::verify::Verifier;

/// A header section larger than this is not parsed: the message passes with
/// `dkim=permerror (header too large)`.
pub const HEADER_MAX: usize = 1 << 20;
/// The first envelope record (`F` and the sender) must fit in this.
const SENDER_MAX: usize = 4096;
const BUF: usize = 64 * 1024;

/// An unnamed file in $TMPDIR (or /tmp), readable only by us, gone when closed.
pub fn tempfile() -> io::Result<File> {
    let dir = std::env::var_os("TMPDIR")
        .filter(|d| !d.is_empty())
        .map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    match File::options()
        .read(true)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_TMPFILE)
        .open(&dir)
    {
        Ok(f) => Ok(f),
        // A file system without O_TMPFILE: a fresh name, removed at once.
        Err(e) if matches!(e.raw_os_error(), Some(libc::EOPNOTSUPP | libc::EISDIR)) => {
            let mut n = 0u32;
            loop {
                let p = dir.join(format!(
                    "qmail-authres.{}.{}.{n}",
                    std::process::id(),
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.subsec_nanos())
                        .unwrap_or(0)
                ));
                match File::options()
                    .read(true)
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&p)
                {
                    Ok(f) => {
                        std::fs::remove_file(&p)?;
                        return Ok(f);
                    }
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 100 => {
                        n = n.saturating_add(1);
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Err(e) => Err(e),
    }
}

/// Why reading failed: the input (qmail-queue's 54) or the temporary file (53).
pub enum SpoolError {
    Read,
    Write,
}

fn read_some(r: &mut File, buf: &mut [u8]) -> Result<usize, SpoolError> {
    loop {
        match r.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Err(SpoolError::Read),
        }
    }
}

pub struct Message {
    /// The header section, each line with its LF; without the empty line that ends it.
    pub head: Vec<u8>,
    /// An empty line followed the header section.
    pub blank: bool,
    /// Everything after it (the whole message when the header was too large).
    pub body: File,
    /// None when the header was too large.
    pub verifier: Option<Verifier>,
}

/// Where the header section ends in `head` (searching from `from`): the length of the
/// section and of the section plus the empty line.
fn header_end(head: &[u8], from: usize) -> Option<(usize, usize)> {
    if head.first() == Some(&b'\n') {
        return Some((0, 1));
    }
    let at = memchr::memmem::find(head.get(from..)?, b"\n\n")?.saturating_add(from);
    Some((at.saturating_add(1), at.saturating_add(2)))
}

pub fn read_message(mut input: File) -> Result<Message, SpoolError> {
    let mut body = tempfile().map_err(|_| SpoolError::Write)?;
    let mut buf = vec![0u8; BUF];
    let mut head: Vec<u8> = Vec::new();
    let mut verifier: Option<Verifier> = None;
    let mut in_head = true;
    let mut blank = false;
    let mut too_large = false;
    loop {
        let n = read_some(&mut input, &mut buf)?;
        if n == 0 {
            break;
        }
        let chunk = buf.get(..n).unwrap_or_default();
        if !in_head {
            if let Some(v) = verifier.as_mut() {
                v.body(chunk);
            }
            body.write_all(chunk).map_err(|_| SpoolError::Write)?;
            continue;
        }
        let from = head.len().saturating_sub(1);
        head.extend_from_slice(chunk);
        if let Some((end, rest)) = header_end(&head, from) {
            let tail = head.get(rest..).unwrap_or_default().to_vec();
            head.truncate(end);
            blank = true;
            in_head = false;
            let mut v = Verifier::new(head.clone());
            v.body(&tail);
            verifier = Some(v);
            body.write_all(&tail).map_err(|_| SpoolError::Write)?;
        } else if head.len() > HEADER_MAX {
            body.write_all(&head).map_err(|_| SpoolError::Write)?;
            head.clear();
            in_head = false;
            too_large = true;
        }
    }
    if in_head {
        // No empty line: the message is all header.
        verifier = Some(Verifier::new(head.clone()));
    }
    if too_large {
        verifier = None;
    }
    Ok(Message {
        head,
        blank,
        body,
        verifier,
    })
}

pub struct Envelope {
    pub file: File,
    /// The envelope sender, when the envelope starts with a complete `F` record and ends
    /// as a finished envelope does (with an empty record). None otherwise: qmail-queue
    /// will say what is wrong with it.
    pub sender: Option<Vec<u8>>,
}

pub fn read_envelope(mut input: File) -> Result<Envelope, SpoolError> {
    let mut file = tempfile().map_err(|_| SpoolError::Write)?;
    let mut buf = vec![0u8; BUF];
    let mut first: Vec<u8> = Vec::new();
    let mut tail: Vec<u8> = Vec::new();
    let mut total = 0usize;
    loop {
        let n = read_some(&mut input, &mut buf)?;
        if n == 0 {
            break;
        }
        let chunk = buf.get(..n).unwrap_or_default();
        file.write_all(chunk).map_err(|_| SpoolError::Write)?;
        if first.len() < SENDER_MAX && !first.contains(&0) {
            let room = SENDER_MAX.saturating_sub(first.len());
            first.extend_from_slice(chunk.get(..room.min(n)).unwrap_or_default());
        }
        tail.extend_from_slice(chunk.get(n.saturating_sub(2)..).unwrap_or_default());
        tail.drain(..tail.len().saturating_sub(2));
        total = total.saturating_add(n);
    }
    let sender = match (first.first(), memchr::memchr(0, &first)) {
        (Some(b'F'), Some(nul)) if total > nul.saturating_add(1) && tail == [0, 0] => {
            Some(first.get(1..nul).unwrap_or_default().to_vec())
        }
        _ => None,
    };
    Ok(Envelope { file, sender })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_ends() {
        assert_eq!(header_end(b"\nbody", 0), Some((0, 1)));
        assert_eq!(header_end(b"A: b\n\nbody", 0), Some((5, 6)));
        assert_eq!(header_end(b"A: b\nC: d\n", 0), None);
    }
}
