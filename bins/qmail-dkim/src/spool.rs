//! The message on its way through: an unlinked file in /tmp (or `$TMPDIR`), so memory
//! stays bounded whatever the size. The message is written after a hole big enough for
//! the signatures; they go at the hole's end and qmail-queue reads fd 0 from there.
use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::PathBuf;

fn dir() -> PathBuf {
    match std::env::var_os("TMPDIR") {
        Some(d) if d.as_encoded_bytes().first() == Some(&b'/') => PathBuf::from(d),
        _ => PathBuf::from("/tmp"),
    }
}

/// A new anonymous file: O_TMPFILE, or where the file system lacks it a new name
/// removed at once.
pub fn anonymous() -> io::Result<File> {
    let d = dir();
    let tmp = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_TMPFILE)
        .open(&d);
    match tmp {
        Ok(f) => return Ok(f),
        Err(e) if e.raw_os_error() == Some(libc::EOPNOTSUPP) => {}
        Err(e) if e.raw_os_error() == Some(libc::EISDIR) => {}
        Err(e) => return Err(e),
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let path = d.join(format!("qmail-dkim.{}.{now}", std::process::id()));
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(f)
}

pub struct Spool {
    file: File,
    /// Where the message starts.
    start: u64,
    /// Where the next byte goes.
    end: u64,
}

impl Spool {
    pub fn new(hole: u64) -> io::Result<Spool> {
        Ok(Spool {
            file: anonymous()?,
            start: hole,
            end: hole,
        })
    }

    pub fn write(&mut self, b: &[u8]) -> io::Result<()> {
        self.file.write_all_at(b, self.end)?;
        let n = u64::try_from(b.len()).map_err(|_| io::Error::other("too large"))?;
        self.end = self
            .end
            .checked_add(n)
            .ok_or_else(|| io::Error::other("too large"))?;
        Ok(())
    }

    /// The file for qmail-queue's fd 0, positioned at `prefix` (the signatures) put just
    /// before the message.
    pub fn finish(mut self, prefix: &[u8]) -> io::Result<File> {
        let n = u64::try_from(prefix.len()).map_err(|_| io::Error::other("too large"))?;
        let at = self
            .start
            .checked_sub(n)
            .ok_or_else(|| io::Error::other("signatures larger than their room"))?;
        self.file.write_all_at(prefix, at)?;
        self.file.flush()?;
        self.file.seek(SeekFrom::Start(at))?;
        Ok(self.file)
    }
}
