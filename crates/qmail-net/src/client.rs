//! The client of a server run by tcpserver or inetd: the connection is fd 0 in and fd 1
//! out. Replies are queued and written just before the next read (qmail's saferead
//! flushes its output buffer first), so a client that pipelines gets its answers in one
//! write instead of one per command. Each read and write waits at most the timeout.
use std::io::{self, Read, Stdin, Stdout, Write};

use crate::timeoutio::Timed;

pub struct Client {
    input: Timed<Stdin>,
    output: Timed<Stdout>,
    out: Vec<u8>,
}

impl Client {
    /// `secs` per read or write ([`crate::timeoutio::FOREVER`] for no limit).
    pub fn new(secs: u64) -> Client {
        Client {
            input: Timed::new(io::stdin(), secs),
            output: Timed::new(io::stdout(), secs),
            out: Vec::new(),
        }
    }

    pub fn set_timeout(&mut self, secs: u64) {
        self.input.set_timeout(secs);
        self.output.set_timeout(secs);
    }

    /// Queue a reply.
    pub fn put(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }

    /// Write the queued replies; an error or a timeout means the client is gone.
    pub fn flush(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            self.output.write_all(&self.out)?;
            self.out.clear();
        }
        Ok(())
    }
}

/// Flush the replies, then read.
impl Read for Client {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.flush()?;
        self.input.read(buf)
    }
}
