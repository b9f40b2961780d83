//! The client connection: fd 0 in, fd 1 out (qmail-net's timed descriptors), limited by
//! timeoutsmtpd. Replies are buffered and flushed before each read (what makes PIPELINING
//! work, and how qmail does it).
//!
//! The timeout is a deadline, not an idle limit that each byte restarts: a line must be
//! complete within timeoutsmtpd seconds of the client's turn starting (the greeting or our
//! last reply, or the LF of its previous line), and writing a batch of replies must finish
//! within timeoutsmtpd seconds. A client that trickles one byte at a time is cut off.
use std::io::{self, Read, Stdin, Stdout, Write};
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
    input: Timed<Stdin>,
    output: Timed<Stdout>,
    buf: Vec<u8>,
}

impl Client {
    pub fn new(timeout_secs: u64) -> Client {
        let mut c = Client {
            timeout: Duration::ZERO,
            deadline: None,
            out: Vec::new(),
            input: Timed::new(io::stdin(), timeout_secs),
            output: Timed::new(io::stdout(), timeout_secs),
            buf: vec![0u8; READ_BUF],
        };
        c.set_timeout(timeout_secs);
        c
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
        let deadline = match self.deadline {
            Some(d) => d,
            None => *self.deadline.insert(self.after_timeout()),
        };
        self.input.set_deadline(Some(deadline));
        match self.input.read(&mut self.buf) {
            Ok(0) => Input::Eof,
            Ok(n) => {
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
}
