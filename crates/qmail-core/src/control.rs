//! Control files, read with qmail's exact rules (qmail-control(5)):
//! - single-line files: the first line, trailing spaces, tabs and CR stripped, leading
//!   white space kept; a missing file gives the default;
//! - integers: an unsigned decimal prefix of the first line; no leading digit keeps the
//!   default;
//! - list files: every line stripped the same way; empty lines and `#` lines skipped.
//!
//! Files are opened non-blocking so a FIFO in control/ cannot hang a reader, and anything
//! that is not a regular file is refused. Paths are relative to the caller's cwd
//! (programs chdir to the qmail home first).
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// A control file over this size is refused rather than read into memory.
pub const CONTROL_MAX: u64 = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("unable to read {path}: {err}", path = .0.display(), err = crate::errstr::errstr(.1))]
    Io(PathBuf, io::Error),
    #[error("unable to read {}: not a regular file", .0.display())]
    NotFile(PathBuf),
    #[error("unable to read {}: file too large", .0.display())]
    TooLarge(PathBuf),
}

/// The whole file, or None when it does not exist.
pub fn readbytes(path: impl AsRef<Path>) -> Result<Option<Vec<u8>>, ControlError> {
    let path = path.as_ref();
    let err = |e| ControlError::Io(path.to_path_buf(), e);
    let mut f: File = match qmail_sys::fd::open_read(path, libc::O_NONBLOCK) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(err(e)),
    };
    let meta = f.metadata().map_err(err)?;
    if !meta.is_file() {
        return Err(ControlError::NotFile(path.to_path_buf()));
    }
    if meta.len() > CONTROL_MAX {
        return Err(ControlError::TooLarge(path.to_path_buf()));
    }
    let mut buf = Vec::new();
    f.by_ref()
        .take(CONTROL_MAX.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(err)?;
    if u64::try_from(buf.len()).unwrap_or(u64::MAX) > CONTROL_MAX {
        return Err(ControlError::TooLarge(path.to_path_buf()));
    }
    Ok(Some(buf))
}

/// Strip trailing spaces, tabs, CRs (and the newline already split off).
pub fn strip_trailing(mut line: &[u8]) -> &[u8] {
    while let Some((&last, rest)) = line.split_last() {
        if last == b' ' || last == b'\t' || last == b'\r' || last == b'\n' {
            line = rest;
        } else {
            break;
        }
    }
    line
}

/// The first line of `data`, stripped.
pub fn first_line(data: &[u8]) -> &[u8] {
    let line = match memchr::memchr(b'\n', data) {
        Some(i) => data.get(..i).unwrap_or(data),
        None => data,
    };
    strip_trailing(line)
}

/// The entries of a list file: stripped lines, without empty and `#` lines.
pub fn list_lines(data: &[u8]) -> Vec<Vec<u8>> {
    data.split(|&b| b == b'\n')
        .map(strip_trailing)
        .filter(|l| !l.is_empty() && !l.starts_with(b"#"))
        .map(<[u8]>::to_vec)
        .collect()
}

/// The unsigned decimal prefix of `line`, or None when it does not start with a digit
/// (or overflows).
pub fn parse_uint(line: &[u8]) -> Option<u64> {
    let digits = line.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let mut n: u64 = 0;
    for &b in line.get(..digits)? {
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(n)
}

/// First line of a single-line file, or None when missing.
pub fn readline(path: impl AsRef<Path>) -> Result<Option<Vec<u8>>, ControlError> {
    Ok(readbytes(path)?.map(|d| first_line(&d).to_vec()))
}

/// First line of a single-line file, or `default` when missing.
pub fn rldef(path: impl AsRef<Path>, default: &[u8]) -> Result<Vec<u8>, ControlError> {
    Ok(readline(path)?.unwrap_or_else(|| default.to_vec()))
}

/// An integer control file, or `default` when missing or not starting with a digit.
pub fn readint(path: impl AsRef<Path>, default: u64) -> Result<u64, ControlError> {
    Ok(readbytes(path)?
        .and_then(|d| parse_uint(first_line(&d)))
        .unwrap_or(default))
}

/// A list file, or None when missing.
pub fn readfile(path: impl AsRef<Path>) -> Result<Option<Vec<Vec<u8>>>, ControlError> {
    Ok(readbytes(path)?.map(|d| list_lines(&d)))
}

/// `control/me` and the defaults that follow from it (qmail's control_init).
#[derive(Clone, Debug, Default)]
pub struct Me(pub Option<Vec<u8>>);

impl Me {
    /// Read `control/me` (relative to the qmail home).
    pub fn init() -> Result<Me, ControlError> {
        Ok(Me(readline("control/me")?))
    }

    /// A single-line file whose default is `me`, else the literal `fallback`.
    pub fn rldef(&self, path: impl AsRef<Path>, fallback: &[u8]) -> Result<Vec<u8>, ControlError> {
        let def = self.0.as_deref().unwrap_or(fallback);
        rldef(path, def)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_rules() {
        assert_eq!(
            first_line(b"  host.example \t\r\nsecond\n"),
            b"  host.example"
        );
        assert_eq!(first_line(b"nonewline"), b"nonewline");
        assert_eq!(first_line(b""), b"");
        assert_eq!(
            list_lines(b"a\n\n# c\nb \t\r\n"),
            vec![b"a".to_vec(), b"b".to_vec()]
        );
        assert_eq!(parse_uint(b"120x"), Some(120));
        assert_eq!(parse_uint(b"-5"), None);
        assert_eq!(parse_uint(b" 5"), None);
        assert_eq!(parse_uint(b"99999999999999999999999"), None);
    }
}
