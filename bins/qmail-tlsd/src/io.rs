//! Non-blocking reads and writes on the engine's descriptors.
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;

use nix::fcntl::{fcntl, FcntlArg, OFlag};

pub fn nonblocking(fd: &impl AsRawFd) -> io::Result<()> {
    let raw = fd.as_raw_fd();
    let flags = OFlag::from_bits_truncate(fcntl(raw, FcntlArg::F_GETFL)?);
    fcntl(raw, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}

/// What one read gave.
pub enum Got {
    Bytes(usize),
    Eof,
    Again,
}

pub fn read_some(r: &mut impl Read, buf: &mut [u8]) -> io::Result<Got> {
    loop {
        return match r.read(buf) {
            Ok(0) => Ok(Got::Eof),
            Ok(n) => Ok(Got::Bytes(n)),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(Got::Again),
            Err(e) => Err(e),
        };
    }
}

/// Write what the descriptor takes now; the count (0 when it would block).
pub fn write_some(w: &mut impl Write, buf: &[u8]) -> io::Result<usize> {
    loop {
        return match w.write(buf) {
            Ok(0) if !buf.is_empty() => Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
            Err(e) => Err(e),
        };
    }
}
