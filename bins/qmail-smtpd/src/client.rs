//! The client connection: fd 0 in, fd 1 out (qmail-net's timed descriptors), limited by
//! timeoutsmtpd. Replies are buffered and flushed before each read (what makes PIPELINING
//! work, and how qmail does it).
//!
//! The timeout is a deadline, not an idle limit that each byte restarts: a line must be
//! complete within timeoutsmtpd seconds of the client's turn starting (the greeting or our
//! last reply, or the LF of its previous line), and writing a batch of replies must finish
//! within timeoutsmtpd seconds. A client that trickles one byte at a time is cut off.
use std::io::{self, Read, Write};
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

use qmail_net::timeoutio::Timed;

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
    input: Timed<BorrowedFd<'static>>,
    output: Timed<BorrowedFd<'static>>,
    buf: Vec<u8>,
    /// Bytes read from fd 0 so far (qmail-tlsd counts what it wrote there).
    total: u64,
}

impl Client {
    pub fn new(timeout_secs: u64) -> Client {
        let mut c = Client {
            timeout: Duration::ZERO,
            deadline: None,
            out: Vec::new(),
            // fds 0 and 1 themselves, not std's Stdin and Stdout, whose buffers would
            // never be used: everything is read and written here.
            input: Timed::new(qmail_sys::fd::stdin(), timeout_secs),
            output: Timed::new(qmail_sys::fd::stdout(), timeout_secs),
            buf: vec![0u8; READ_BUF],
            total: 0,
        };
        c.set_timeout(timeout_secs);
        c
    }

    /// timeoutsmtpd.
    pub fn timeout(&self) -> Duration {
        self.timeout
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
        self.output.set_deadline(Some(self.after_timeout()));
        self.output.write_all(&self.out)?;
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
        self.read_max(READ_BUF)
    }

    /// [`Client::read`], at most `max` bytes.
    fn read_max(&mut self, max: usize) -> Input<'_> {
        let deadline = match self.deadline {
            Some(d) => d,
            None => *self.deadline.insert(self.after_timeout()),
        };
        self.input.set_deadline(Some(deadline));
        let max = max.min(self.buf.len());
        match self.input.read(self.buf.get_mut(..max).unwrap_or_default()) {
            Ok(0) => Input::Eof,
            Ok(n) => {
                self.total = self.total.saturating_add(n as u64);
                let got = self.buf.get(..n).unwrap_or_default();
                if memchr::memchr(b'\n', got).is_some() {
                    self.deadline = None;
                }
                Input::Bytes(got)
            }
            Err(e) if e.kind() == io::ErrorKind::TimedOut => Input::Timeout,
            Err(_) => Input::Eof,
        }
    }

    /// Read and drop fd 0's bytes until `total` have been read in all: the clear text
    /// qmail-tlsd passed on before the TLS handshake that was not read yet. False when
    /// the client is gone or the time is up first.
    pub fn discard_to(&mut self, total: u64) -> bool {
        // Exactly that many: what follows is the first bytes from inside TLS.
        while self.total < total {
            let want = usize::try_from(total.saturating_sub(self.total)).unwrap_or(usize::MAX);
            match self.read_max(want) {
                Input::Bytes(_) => {}
                Input::Timeout | Input::Eof => return false,
            }
        }
        self.total == total
    }
}
