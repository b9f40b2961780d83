//! Writing a cdb: records first, then the 256 hash tables, then the header.
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;

use super::*;

/// Writes at explicit offsets, so the result does not depend on the file's cursor.
#[derive(Debug)]
struct PosWriter {
    file: File,
    pos: u64,
}

impl Write for PosWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write_at(buf, self.pos)?;
        self.pos = self
            .pos
            .saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Create (or empty) `path`, the temporary file a cdb is rebuilt in before the rename:
/// mode 0644, and opened without blocking, so a FIFO left there cannot hang the builder.
pub fn create_tmp(path: impl AsRef<std::path::Path>) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    File::options()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

/// Builds a cdb in a fresh file: `add` records, then `finish`. Writing to a temporary file and
/// renaming it into place is the caller's job (qmail-newu: `users/cdb.tmp` → `users/cdb`).
#[derive(Debug)]
pub struct CdbMake {
    out: BufWriter<PosWriter>,
    /// Offset of the next record.
    pos: u32,
    /// `(hash, record position)` of every record, in the order added.
    entries: Vec<(u32, u32)>,
}

impl CdbMake {
    pub fn new(file: File) -> CdbMake {
        CdbMake {
            out: BufWriter::new(PosWriter {
                file,
                pos: u64::from(HEADER_LEN),
            }),
            pos: HEADER_LEN,
            entries: Vec::new(),
        }
    }

    /// Add a record. Duplicate keys are kept; readers find the first one.
    pub fn add(&mut self, key: &[u8], data: &[u8]) -> Result<(), CdbError> {
        let too_big = || CdbError::TooBig(None);
        let klen = u32::try_from(key.len()).map_err(|_| too_big())?;
        let dlen = u32::try_from(data.len()).map_err(|_| too_big())?;
        let next = self
            .pos
            .checked_add(8)
            .and_then(|p| p.checked_add(klen))
            .and_then(|p| p.checked_add(dlen))
            .ok_or_else(too_big)?;
        let io = |e| CdbError::Io(None, e);
        self.out.write_all(&unpair(klen, dlen)).map_err(io)?;
        self.out.write_all(key).map_err(io)?;
        self.out.write_all(data).map_err(io)?;
        self.entries.push((hash(key), self.pos));
        self.pos = next;
        Ok(())
    }

    /// Write the hash tables and the header; returns the file (for fsync and close).
    pub fn finish(self) -> Result<File, CdbError> {
        let too_big = || CdbError::TooBig(None);
        let io = |e| CdbError::Io(None, e);
        let CdbMake {
            mut out,
            mut pos,
            entries,
        } = self;

        // Group the entries by table, keeping the order they were added: that order decides
        // the slots, and so the exact bytes cdbmake writes.
        let mut tables: Vec<Vec<(u32, u32)>> = vec![Vec::new(); 256];
        for &(h, p) in &entries {
            if let Some(t) = tables.get_mut((h & 255) as usize) {
                t.push((h, p));
            }
        }
        let mut header = Vec::with_capacity(HEADER_LEN as usize);
        let mut slots: Vec<(u32, u32)> = Vec::new();
        for table in &tables {
            let count = u32::try_from(table.len()).map_err(|_| too_big())?;
            let len = count.checked_mul(2).ok_or_else(too_big)?;
            header.extend_from_slice(&unpair(pos, len));
            slots.clear();
            slots.resize(table.len().saturating_mul(2), (0, 0));
            for &(h, p) in table {
                // len > 0 here; a free slot exists because the table is half empty.
                let mut at = (h >> 8) % len;
                while slots.get(at as usize).is_some_and(|s| s.1 != 0) {
                    at = at.saturating_add(1) % len;
                }
                if let Some(s) = slots.get_mut(at as usize) {
                    *s = (h, p);
                }
            }
            for &(h, p) in &slots {
                out.write_all(&unpair(h, p)).map_err(io)?;
            }
            pos = len
                .checked_mul(8)
                .and_then(|n| pos.checked_add(n))
                .ok_or_else(too_big)?;
        }
        let writer = out.into_inner().map_err(|e| io(e.into_error()))?;
        let file = writer.file;
        file.write_all_at(&header, 0).map_err(io)?;
        file.set_len(u64::from(pos)).map_err(io)?;
        Ok(file)
    }
}
