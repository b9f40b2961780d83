//! cdb: constant databases in the standard format (reader with pread, writer).
//!
//! The format (D. J. Bernstein's cdb, so files made by `cdbmake`, tinycdb or qmail-newu read
//! here and ours read there):
//! - a 2048-byte header of 256 `(pos, len)` pairs, one per hash table;
//! - the records, each `klen dlen key data`;
//! - the 256 hash tables, each `len` slots of `(hash, pos)`; `pos == 0` marks an empty slot.
//!
//! All numbers are little-endian u32, so a file ends below 4 GiB. A key with hash `h` lives in
//! table `h % 256`, starting at slot `(h >> 8) % len`, probing linearly with wrap-around.
//!
//! The reader treats the file as hostile: every offset is checked against the file size with
//! checked arithmetic, a probe visits at most `len` slots, and nothing longer than the file is
//! ever allocated, so a corrupt file gives [`CdbError::Format`] and never a panic. Reads use
//! `pread`, never `mmap`.
use std::io;
use std::path::{Path, PathBuf};

mod make;
mod read;

pub use make::{create_tmp, CdbMake};
pub use read::{Cdb, FindAll, Record};

/// Size of the header: 256 tables × (pos, len) × 4 bytes.
pub const HEADER_LEN: u32 = 2048;

/// Every position in the file is a u32, so a cdb ends before 4 GiB (cdb_make's limit).
pub const CDB_MAX: u64 = u32::MAX as u64;

#[derive(Debug, thiserror::Error)]
pub enum CdbError {
    #[error("{}: {}", shown(.0), crate::errstr::errstr(.1))]
    Io(Option<PathBuf>, io::Error),
    /// The file is not a well-formed cdb (truncated, offsets out of range).
    #[error("{}: bad cdb format", shown(.0))]
    Format(Option<PathBuf>),
    /// A cdb can only be read from a regular file.
    #[error("{}: not a regular file", shown(.0))]
    NotFile(Option<PathBuf>),
    /// The database would pass 4 GiB.
    #[error("{}: cdb too large", shown(.0))]
    TooBig(Option<PathBuf>),
}

impl CdbError {
    /// The file the error is about, when known.
    pub fn path(&self) -> Option<&Path> {
        match self {
            CdbError::Io(p, _)
            | CdbError::Format(p)
            | CdbError::NotFile(p)
            | CdbError::TooBig(p) => p.as_deref(),
        }
    }
}

fn shown(path: &Option<PathBuf>) -> String {
    match path {
        Some(p) => p.display().to_string(),
        None => "cdb".to_string(),
    }
}

/// The cdb hash: h = 5381; h = (h * 33) ^ byte, in 32 bits.
pub fn hash(key: &[u8]) -> u32 {
    key.iter()
        .fold(5381u32, |h, &b| (h << 5).wrapping_add(h) ^ u32::from(b))
}

fn pair(bytes: [u8; 8]) -> (u32, u32) {
    let [a0, a1, a2, a3, b0, b1, b2, b3] = bytes;
    (
        u32::from_le_bytes([a0, a1, a2, a3]),
        u32::from_le_bytes([b0, b1, b2, b3]),
    )
}

fn unpair(a: u32, b: u32) -> [u8; 8] {
    let [a0, a1, a2, a3] = a.to_le_bytes();
    let [b0, b1, b2, b3] = b.to_le_bytes();
    [a0, a1, a2, a3, b0, b1, b2, b3]
}

#[cfg(test)]
mod tests;
