//! The client connection: fd 0 in, fd 1 out, limited by timeoutsmtpd. Replies are
//! buffered and flushed before each read (what makes PIPELINING work, and how qmail does
//! it).
//!
//! The timeout is a deadline, not an idle limit that each byte restarts: a line must be
//! complete within timeoutsmtpd seconds of the client's turn starting (the greeting or our
//! last reply, or the LF of its previous line), and writing a batch of replies must finish
//! within timeoutsmtpd seconds. A client that trickles one byte at a time is cut off.
use std::io::{self, Stdout};
use std::os::fd::{AsFd, RawFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

/// qmail-smtpd reads the client on descriptor 0 (tcpserver and inetd put the socket there).
const CLIENT_IN: RawFd = 0;
/// Small reads (qmail reads 1 KiB) bound the replies one read can call for: a read full
/// of empty lines is 4096 commands, not 65536.
const READ_BUF: usize = 4096;

pub enum Input<'a> {
    Bytes(&'a [u8]),
    Timeout,
    Eof,
}

pub struct Client {
    timeout: Duration,
    /// When the line being read must be complete; None until the next read starts it.
    deadline: Option<Instant>,
    out: Vec<u8>,
    stdout: Stdout,
    buf: Vec<u8>,
}

/// What is left until `deadline`, for poll (rounded up to a whole millisecond); None once
/// it has passed.
fn poll_timeout(deadline: Instant) -> Option<PollTimeout> {
    let left = deadline.checked_duration_since(Instant::now())?;
    if left.is_zero() {
        return None;
    }
    let ms = left.as_micros().div_ceil(1000);
    Some(PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX))
}

impl Client {
    pub fn new(timeout_secs: u64) -> Client {
        Client {
            timeout: Duration::from_secs(timeout_secs),
            deadline: None,
            out: Vec::new(),
            stdout: io::stdout(),
            buf: vec![0u8; READ_BUF],
        }
    }

    pub fn set_timeout(&mut self, secs: u64) {
        self.timeout = Duration::from_secs(secs.min(u64::from(u32::MAX)));
    }

    /// Queue a reply.
    pub fn put(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }

    /// Write the queued replies; a timeout or error means the client is gone.
    pub fn flush(&mut self) -> io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        let deadline = self.after_timeout();
        let mut done = 0usize;
        while let Some(rest) = self.out.get(done..).filter(|r| !r.is_empty()) {
            let fd = self.stdout.as_fd();
            let mut fds = [PollFd::new(fd, PollFlags::POLLOUT)];
            let Some(left) = poll_timeout(deadline) else {
                return Err(io::ErrorKind::TimedOut.into());
            };
            match poll(&mut fds, left) {
                Ok(0) => continue, // poll's longest wait is shorter than ours
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
        // The client has our answer: its turn, and a new deadline, starts now.
        self.deadline = None;
        Ok(())
    }

    fn after_timeout(&self) -> Instant {
        let now = Instant::now();
        // timeoutsmtpd is at most u32::MAX seconds (set_timeout), which always fits.
        now.checked_add(self.timeout).unwrap_or(now)
    }

    /// Wait for client bytes until the deadline of the line being read.
    pub fn read(&mut self) -> Input<'_> {
        let stdin = io::stdin();
        let deadline = match self.deadline {
            Some(d) => d,
            None => *self.deadline.insert(self.after_timeout()),
        };
        loop {
            let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
            let Some(left) = poll_timeout(deadline) else {
                return Input::Timeout;
            };
            match poll(&mut fds, left) {
                Ok(0) => continue, // the deadline is checked above
                Ok(_) => {}
                Err(Errno::EINTR) => continue,
                Err(_) => return Input::Eof,
            }
            match nix::unistd::read(CLIENT_IN, &mut self.buf) {
                Ok(0) => return Input::Eof,
                Ok(n) => {
                    let got = self.buf.get(..n).unwrap_or_default();
                    if memchr::memchr(b'\n', got).is_some() {
                        self.deadline = None;
                    }
                    return Input::Bytes(got);
                }
                Err(Errno::EINTR | Errno::EAGAIN) => continue,
                Err(_) => return Input::Eof,
            }
        }
    }
}
