//! Queue file access shared by the phases: opening a queue file without blocking, a
//! message's sender and birth, a channel file for a pass, and marking a record done.
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};

use qmail_core::queue::{records, Dir};

use crate::chan::Channel;
use crate::sched::Timestamp;

pub fn open_read(path: &str) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc_nonblock())
        .open(path)
}

fn libc_nonblock() -> i32 {
    nix::fcntl::OFlag::O_NONBLOCK.bits()
}

pub fn is_noent(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound
}

/// The sender and birth (mtime) of a message, from info/N/id.
pub fn getinfo(id: u64) -> Option<(Vec<u8>, Timestamp)> {
    let f = open_read(&Dir::Info.path(id)).ok()?;
    let birth = f.metadata().ok()?.mtime();
    let mut data = Vec::new();
    io::Read::read_to_end(&mut io::Read::take(&f, 4096), &mut data).ok()?;
    Some((records::decode_info(&data)?.to_vec(), birth))
}

/// Open a pass over `chan`'s file of `id`: the file, sender and birth.
pub fn open_pass(chan: Channel, id: u64) -> Option<(File, Vec<u8>, Timestamp)> {
    let f = open_read(&chan.path(id)).ok()?;
    let (sender, birth) = getinfo(id)?;
    Some((f, sender, birth))
}

/// Overwrite the record at `offset` with `D`.
pub fn markdone(chan: Channel, id: u64, offset: u64) -> bool {
    let Ok(f) = OpenOptions::new()
        .write(true)
        .custom_flags(libc_nonblock())
        .open(chan.path(id))
    else {
        return false;
    };
    f.metadata().is_ok() && matches!(f.write_at(&[records::DONE], offset), Ok(1))
}
