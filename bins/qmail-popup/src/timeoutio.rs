//! The client connection of the POP3 programs: fd 0 in, fd 1 out, each read and write
//! limited by a timeout (qmail's timeoutread/timeoutwrite). A timeout is an error.
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

/// POP3 sessions wait this long for each read or write.
pub const TIMEOUT_SECS: u64 = 1200;

fn wait(fd: BorrowedFd<'_>, events: PollFlags, secs: u64) -> io::Result<()> {
    let ms = PollTimeout::try_from(secs.saturating_mul(1000)).unwrap_or(PollTimeout::MAX);
    loop {
        let mut fds = [PollFd::new(fd, events)];
        match poll(&mut fds, ms) {
            Ok(0) => return Err(io::ErrorKind::TimedOut.into()),
            Ok(_) => return Ok(()),
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// fd 0 with a timeout.
pub struct TimeoutIn {
    pub secs: u64,
}

impl Read for TimeoutIn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let stdin = io::stdin();
        loop {
            wait(stdin.as_fd(), PollFlags::POLLIN, self.secs)?;
            match nix::unistd::read(stdin.as_fd().as_raw_fd(), buf) {
                Ok(n) => return Ok(n),
                Err(Errno::EINTR | Errno::EAGAIN) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// fd 1 with a timeout.
pub struct TimeoutOut {
    pub secs: u64,
}

impl Write for TimeoutOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let stdout = io::stdout();
        loop {
            wait(stdout.as_fd(), PollFlags::POLLOUT, self.secs)?;
            match nix::unistd::write(stdout.as_fd(), buf) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => return Ok(n),
                Err(Errno::EINTR | Errno::EAGAIN) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
