//! The message on fd 0. It must be seekable: every delivery instruction rewinds it and
//! reads it from the start, and `|program` children inherit fd 0 itself (sharing the
//! offset), which is why the rewind goes through a duplicate of fd 0.
use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::os::fd::AsFd;

use crate::die::{self, Fatal};

pub struct Message {
    file: File,
}

impl Message {
    /// A handle on fd 0 sharing its offset.
    pub fn stdin() -> io::Result<Message> {
        let fd = io::stdin().as_fd().try_clone_to_owned()?;
        Ok(Message {
            file: File::from(fd),
        })
    }

    /// Rewind and hand out a reader from offset 0.
    pub fn rewind(&mut self) -> Result<&File, Fatal> {
        self.file
            .seek(SeekFrom::Start(0))
            .map_err(|_| die::rewind())?;
        Ok(&self.file)
    }
}

pub use qmail_local_core::dtline::has_dtline;
