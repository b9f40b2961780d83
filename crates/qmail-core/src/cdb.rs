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
//! `pread`, never `mmap` (DESIGN §3.1).
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Size of the header: 256 tables × (pos, len) × 4 bytes.
pub const HEADER_LEN: u32 = 2048;

/// Every position in the file is a u32, so a cdb ends before 4 GiB (cdb_make's limit).
pub const CDB_MAX: u64 = u32::MAX as u64;

#[derive(Debug, thiserror::Error)]
pub enum CdbError {
    #[error("{}: {}", shown(.0), .1)]
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

/// A cdb open for reading. Lookups use `pread`, so one `Cdb` can serve any number of finds.
#[derive(Debug)]
pub struct Cdb {
    file: File,
    size: u64,
    header: Vec<u8>,
    path: Option<PathBuf>,
}

impl Cdb {
    /// Open `path`. It is opened non-blocking so that a FIFO cannot hang the caller; anything
    /// but a regular file is refused.
    pub fn open(path: impl AsRef<Path>) -> Result<Cdb, CdbError> {
        let path = path.as_ref();
        let file = File::options()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .map_err(|e| CdbError::Io(Some(path.to_path_buf()), e))?;
        Cdb::new(file, Some(path.to_path_buf()))
    }

    /// Read from an already open file.
    pub fn from_file(file: File) -> Result<Cdb, CdbError> {
        Cdb::new(file, None)
    }

    fn new(file: File, path: Option<PathBuf>) -> Result<Cdb, CdbError> {
        let meta = file.metadata().map_err(|e| CdbError::Io(path.clone(), e))?;
        if !meta.is_file() {
            return Err(CdbError::NotFile(path));
        }
        let mut cdb = Cdb {
            file,
            size: meta.len(),
            header: Vec::new(),
            path,
        };
        cdb.header = cdb.read(0, HEADER_LEN)?;
        Ok(cdb)
    }

    /// The path given to [`Cdb::open`], if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn format(&self) -> CdbError {
        CdbError::Format(self.path.clone())
    }

    /// `len` bytes at `pos`; a range past the end of the file is a format error.
    fn read(&self, pos: u64, len: u32) -> Result<Vec<u8>, CdbError> {
        let end = pos
            .checked_add(u64::from(len))
            .ok_or_else(|| self.format())?;
        if end > self.size {
            return Err(self.format());
        }
        let len = usize::try_from(len).map_err(|_| self.format())?;
        let mut buf = vec![0u8; len];
        self.file
            .read_exact_at(&mut buf, pos)
            .map_err(|e| self.io(e))?;
        Ok(buf)
    }

    fn read_pair(&self, pos: u64) -> Result<(u32, u32), CdbError> {
        let end = pos.checked_add(8).ok_or_else(|| self.format())?;
        if end > self.size {
            return Err(self.format());
        }
        let mut buf = [0u8; 8];
        self.file
            .read_exact_at(&mut buf, pos)
            .map_err(|e| self.io(e))?;
        Ok(pair(buf))
    }

    /// A file that shrank under us reads short: that is a bad cdb, not an I/O failure.
    fn io(&self, e: io::Error) -> CdbError {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            self.format()
        } else {
            CdbError::Io(self.path.clone(), e)
        }
    }

    /// The data of the first record with this key (cdb returns the first duplicate).
    pub fn find(&self, key: &[u8]) -> Result<Option<Vec<u8>>, CdbError> {
        self.find_all(key).next().transpose()
    }

    /// The data of every record with this key, in the order they were added.
    pub fn find_all<'a>(&'a self, key: &'a [u8]) -> FindAll<'a> {
        FindAll {
            cdb: self,
            key,
            probe: None,
            done: false,
        }
    }
}

/// Where a lookup is in its hash table.
#[derive(Debug)]
struct Probe {
    khash: u32,
    /// Table start and end offsets.
    hpos: u64,
    hend: u64,
    hslots: u64,
    /// Next slot to read, and how many slots were read so far.
    kpos: u64,
    loops: u64,
}

/// Successive matches for one key; see [`Cdb::find_all`]. After an error it yields nothing.
#[derive(Debug)]
pub struct FindAll<'a> {
    cdb: &'a Cdb,
    key: &'a [u8],
    probe: Option<Probe>,
    done: bool,
}

impl FindAll<'_> {
    fn start(&self) -> Result<Option<Probe>, CdbError> {
        let cdb = self.cdb;
        let khash = hash(self.key);
        let at = usize::try_from((khash & 255) << 3).map_err(|_| cdb.format())?;
        let bytes = cdb
            .header
            .get(at..at.saturating_add(8))
            .ok_or_else(|| cdb.format())?;
        let bytes: [u8; 8] = bytes.try_into().map_err(|_| cdb.format())?;
        let (hpos, hslots) = pair(bytes);
        if hslots == 0 {
            return Ok(None);
        }
        let (hpos, hslots) = (u64::from(hpos), u64::from(hslots));
        let hend = hslots
            .checked_mul(8)
            .and_then(|n| n.checked_add(hpos))
            .filter(|&end| end <= cdb.size)
            .ok_or_else(|| cdb.format())?;
        // hslots > 0, and first < hslots * 8, which was checked above.
        let first = (u64::from(khash >> 8) % hslots).saturating_mul(8);
        Ok(Some(Probe {
            khash,
            hpos,
            hend,
            hslots,
            kpos: hpos.saturating_add(first),
            loops: 0,
        }))
    }

    fn step(&mut self) -> Result<Option<Vec<u8>>, CdbError> {
        let probe = match self.probe.take() {
            Some(p) => p,
            None => match self.start()? {
                Some(p) => p,
                None => return Ok(None),
            },
        };
        let cdb = self.cdb;
        let mut p = probe;
        while p.loops < p.hslots {
            let (h, pos) = cdb.read_pair(p.kpos)?;
            if pos == 0 {
                return Ok(None);
            }
            p.loops = p.loops.saturating_add(1);
            p.kpos = p.kpos.saturating_add(8);
            if p.kpos >= p.hend {
                p.kpos = p.hpos;
            }
            if h != p.khash {
                continue;
            }
            let pos = u64::from(pos);
            let (klen, dlen) = cdb.read_pair(pos)?;
            if usize::try_from(klen).ok() != Some(self.key.len()) {
                continue;
            }
            let kstart = pos.checked_add(8).ok_or_else(|| cdb.format())?;
            if cdb.read(kstart, klen)? != self.key {
                continue;
            }
            let dstart = kstart
                .checked_add(u64::from(klen))
                .ok_or_else(|| cdb.format())?;
            let data = cdb.read(dstart, dlen)?;
            self.probe = Some(p);
            return Ok(Some(data));
        }
        Ok(None)
    }
}

impl Iterator for FindAll<'_> {
    type Item = Result<Vec<u8>, CdbError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(data)) => Some(Ok(data)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn build(records: &[(&[u8], &[u8])]) -> (tempdir::Dir, PathBuf) {
        let dir = tempdir::Dir::new();
        let path = dir.0.join("t.cdb");
        let mut mk = CdbMake::new(File::create(&path).unwrap());
        for (k, d) in records {
            mk.add(k, d).unwrap();
        }
        mk.finish().unwrap();
        (dir, path)
    }

    /// A private directory under the system temp dir, removed on drop.
    mod tempdir {
        use std::path::PathBuf;
        pub struct Dir(pub PathBuf);
        impl Dir {
            pub fn new() -> Dir {
                use std::sync::atomic::{AtomicU32, Ordering};
                static N: AtomicU32 = AtomicU32::new(0);
                let p = std::env::temp_dir().join(format!(
                    "qmail-core-cdb-{}-{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed)
                ));
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn hash_known_values() {
        assert_eq!(hash(b""), 5381);
        // 5381*33 ^ 'a' = 177573 ^ 97
        assert_eq!(hash(b"a"), 177573 ^ 97);
        assert_eq!(hash(b"!joe\0"), {
            let mut h: u32 = 5381;
            for &b in b"!joe\0" {
                h = h.wrapping_mul(33) ^ u32::from(b);
            }
            h
        });
    }

    #[test]
    fn empty_cdb_is_header_only() {
        let (_d, path) = build(&[]);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 2048);
        for chunk in bytes.chunks(8) {
            assert_eq!(chunk, unpair(2048, 0));
        }
        let cdb = Cdb::open(&path).unwrap();
        assert_eq!(cdb.find(b"").unwrap(), None);
        assert_eq!(cdb.find(b"x").unwrap(), None);
    }

    #[test]
    fn first_duplicate_wins_and_find_all_lists_all() {
        let (_d, path) = build(&[
            (b"k", b"one"),
            (b"other", b"x"),
            (b"k", b"two"),
            (b"", b"empty key"),
            (b"k", b""),
        ]);
        let cdb = Cdb::open(&path).unwrap();
        assert_eq!(cdb.find(b"k").unwrap().as_deref(), Some(&b"one"[..]));
        let all: Vec<Vec<u8>> = cdb.find_all(b"k").map(Result::unwrap).collect();
        assert_eq!(all, vec![b"one".to_vec(), b"two".to_vec(), Vec::new()]);
        assert_eq!(cdb.find(b"").unwrap().as_deref(), Some(&b"empty key"[..]));
        assert_eq!(cdb.find(b"K").unwrap(), None, "keys are case-sensitive");
        assert_eq!(cdb.find(b"othe").unwrap(), None);
    }

    #[test]
    fn short_file_is_format_error() {
        let d = tempdir::Dir::new();
        let path = d.0.join("short");
        std::fs::write(&path, [0u8; 100]).unwrap();
        assert!(matches!(Cdb::open(&path), Err(CdbError::Format(Some(_)))));
    }

    #[test]
    fn table_past_end_is_format_error() {
        let d = tempdir::Dir::new();
        let path = d.0.join("bad");
        let mut bytes = Vec::new();
        for _ in 0..256 {
            bytes.extend_from_slice(&unpair(2048, 0xffff_ffff));
        }
        std::fs::write(&path, &bytes).unwrap();
        let cdb = Cdb::open(&path).unwrap();
        assert!(matches!(cdb.find(b"a"), Err(CdbError::Format(_))));
    }

    #[test]
    fn huge_data_length_is_format_error_not_allocation() {
        let (_d, path) = build(&[(b"key", b"data")]);
        let mut bytes = std::fs::read(&path).unwrap();
        // The record's dlen sits at 2048 + 4.
        bytes.splice(2052..2056, 0xfff0_0000u32.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let cdb = Cdb::open(&path).unwrap();
        assert!(matches!(cdb.find(b"key"), Err(CdbError::Format(_))));
    }

    #[test]
    fn full_table_probe_terminates() {
        // One table whose every slot is taken by a foreign hash: the probe must stop after
        // `len` slots instead of circling forever.
        let d = tempdir::Dir::new();
        let path = d.0.join("full");
        let key = b"a";
        let t = (hash(key) & 255) as usize;
        let mut bytes = Vec::new();
        for i in 0..256 {
            let (p, l) = if i == t { (2048u32, 4u32) } else { (2048, 0) };
            bytes.extend_from_slice(&unpair(p, l));
        }
        for _ in 0..4 {
            bytes.extend_from_slice(&unpair(hash(key) ^ 0x100, 2048));
        }
        std::fs::write(&path, &bytes).unwrap();
        let cdb = Cdb::open(&path).unwrap();
        assert_eq!(cdb.find(key).unwrap(), None);
    }

    #[test]
    fn directory_and_missing_file() {
        let d = tempdir::Dir::new();
        assert!(matches!(Cdb::open(&d.0), Err(CdbError::NotFile(_))));
        let missing = d.0.join("nope");
        match Cdb::open(&missing) {
            Err(CdbError::Io(Some(p), e)) => {
                assert_eq!(p, missing);
                assert_eq!(e.kind(), io::ErrorKind::NotFound);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn writer_ignores_file_cursor_and_old_contents() {
        let d = tempdir::Dir::new();
        let path = d.0.join("reuse");
        std::fs::write(&path, vec![0xaa; 10_000]).unwrap();
        let f = File::options().read(true).write(true).open(&path).unwrap();
        let mut mk = CdbMake::new(f);
        mk.add(b"a", b"b").unwrap();
        mk.finish().unwrap();
        let len = std::fs::metadata(&path).unwrap().len();
        // header + record (8+1+1) + table of two slots
        assert_eq!(len, 2048 + 10 + 16);
        assert_eq!(
            Cdb::open(&path).unwrap().find(b"a").unwrap().as_deref(),
            Some(&b"b"[..])
        );
    }
}
