//! lock/trigger: a FIFO qmail-queue writes a byte into. qmail-send holds it open for
//! reading, and for writing too, so the last writer closing it does not leave the read
//! end reporting hang-up for ever (the "named pipe bug").
use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;

pub fn open() -> Option<(File, File)> {
    let nb = nix::fcntl::OFlag::O_NONBLOCK.bits();
    let r = OpenOptions::new()
        .read(true)
        .custom_flags(nb)
        .open(qmail_core::queue::dirs::TRIGGER)
        .ok()?;
    let w = OpenOptions::new()
        .write(true)
        .custom_flags(nb)
        .open(qmail_core::queue::dirs::TRIGGER)
        .ok()?;
    Some((r, w))
}
