//! The client connection: fd 0 in, fd 1 out, every read and write limited by
//! timeoutsmtpd. Replies are buffered and flushed before each read (what makes
//! PIPELINING work, and how qmail does it).
use std::io::{self, Stdout};
use std::os::fd::{AsFd, RawFd};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

/// qmail-smtpd reads the client on descriptor 0 (tcpserver and inetd put the socket there).
const CLIENT_IN: RawFd = 0;
const READ_BUF: usize = 64 * 1024;

pub enum Input<'a> {
    Bytes(&'a [u8]),
    Timeout,
    Eof,
}

pub struct Client {
    timeout: PollTimeout,
    out: Vec<u8>,
    stdout: Stdout,
    buf: Vec<u8>,
}

fn poll_timeout(secs: u64) -> PollTimeout {
    PollTimeout::try_from(secs.saturating_mul(1000)).unwrap_or(PollTimeout::MAX)
}

impl Client {
    pub fn new(timeout_secs: u64) -> Client {
        Client {
            timeout: poll_timeout(timeout_secs),
            out: Vec::new(),
            stdout: io::stdout(),
            buf: vec![0u8; READ_BUF],
        }
    }

    pub fn set_timeout(&mut self, secs: u64) {
        self.timeout = poll_timeout(secs);
    }

    /// Queue a reply.
    pub fn put(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }

    /// Write the queued replies; a timeout or error means the client is gone.
    pub fn flush(&mut self) -> io::Result<()> {
        let mut done = 0usize;
        while let Some(rest) = self.out.get(done..).filter(|r| !r.is_empty()) {
            let fd = self.stdout.as_fd();
            let mut fds = [PollFd::new(fd, PollFlags::POLLOUT)];
            match poll(&mut fds, self.timeout) {
                Ok(0) => return Err(io::ErrorKind::TimedOut.into()),
                Ok(_) => {}
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            }
            match nix::unistd::write(fd, rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => done = done.saturating_add(n),
                Err(Errno::EINTR | Errno::EAGAIN) => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.out.clear();
        Ok(())
    }

    /// Wait up to the timeout for client bytes.
    pub fn read(&mut self) -> Input<'_> {
        let stdin = io::stdin();
        loop {
            let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, self.timeout) {
                Ok(0) => return Input::Timeout,
                Ok(_) => {}
                Err(Errno::EINTR) => continue,
                Err(_) => return Input::Eof,
            }
            match nix::unistd::read(CLIENT_IN, &mut self.buf) {
                Ok(0) => return Input::Eof,
                Ok(n) => return Input::Bytes(self.buf.get(..n).unwrap_or_default()),
                Err(Errno::EINTR | Errno::EAGAIN) => continue,
                Err(_) => return Input::Eof,
            }
        }
    }
}
