//! Walking a split directory one message at a time: info/ (at start) and mess/ (the
//! periodic sweep).
use std::io;

use qmail_core::auto;
use qmail_core::queue::{self, Dir};

/// Directories split by id: walked one entry at a time.
pub struct SubdirWalk {
    base: Dir,
    sub: u32,
    ids: std::vec::IntoIter<u64>,
}

impl SubdirWalk {
    pub fn new(base: Dir) -> SubdirWalk {
        SubdirWalk {
            base,
            sub: 0,
            ids: Vec::new().into_iter(),
        }
    }

    /// The next id; `Err` when a subdirectory cannot be read (the caller pauses).
    pub fn next_id(&mut self) -> io::Result<Option<u64>> {
        loop {
            if let Some(id) = self.ids.next() {
                return Ok(Some(id));
            }
            if self.sub >= auto::SPLIT {
                return Ok(None);
            }
            let dir = self.base.subdir(self.sub);
            let rd = std::fs::read_dir(&dir)?;
            let ids: Vec<u64> = rd
                .flatten()
                .filter_map(|e| queue::parse_id(e.file_name().as_encoded_bytes()))
                .collect();
            self.ids = ids.into_iter();
            self.sub += 1;
        }
    }
}
