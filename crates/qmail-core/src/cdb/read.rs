//! Reading a cdb: lookups with pread, every offset checked against the file size.
use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::*;

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

/// A key and its data.
pub type Record = (Vec<u8>, Vec<u8>);

impl Cdb {
    /// Every record, in file order (cdbdump's walk): from the header to the first hash
    /// table. Each record is checked against that end.
    pub fn records(&self) -> Result<Vec<Record>, CdbError> {
        let end = self
            .header
            .chunks_exact(8)
            .filter_map(|c| <[u8; 8]>::try_from(c).ok())
            .map(|b| u64::from(pair(b).0))
            .min()
            .unwrap_or(u64::from(HEADER_LEN));
        if end > self.size || end < u64::from(HEADER_LEN) {
            return Err(self.format());
        }
        let mut out = Vec::new();
        let mut pos = u64::from(HEADER_LEN);
        while pos < end {
            let (klen, dlen) = self.read_pair(pos)?;
            let kpos = pos.checked_add(8).ok_or_else(|| self.format())?;
            let dpos = kpos
                .checked_add(u64::from(klen))
                .ok_or_else(|| self.format())?;
            let next = dpos
                .checked_add(u64::from(dlen))
                .ok_or_else(|| self.format())?;
            if next > end {
                return Err(self.format());
            }
            out.push((self.read(kpos, klen)?, self.read(dpos, dlen)?));
            pos = next;
        }
        Ok(out)
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
