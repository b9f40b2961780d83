//! The client: fd 0 in, fd 1 out. Answers are collected and written just before the next
//! read (qmail-qmtpd's saferead), so a client that sends several messages back to back gets
//! its answers without a write per recipient. Any read or write failure ends the session.
use std::io::{self, Read, Write};

#[derive(Default)]
pub struct Net {
    out: Vec<u8>,
}

impl Net {
    /// Queue one answer netstring.
    pub fn answer(&mut self, payload: &[u8]) {
        let _ = qmail_netstring::write(&mut self.out, payload);
    }

    pub fn flush(&mut self) -> io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        let mut stdout = io::stdout().lock();
        stdout.write_all(&self.out)?;
        stdout.flush()?;
        self.out.clear();
        Ok(())
    }
}

impl Read for Net {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.flush()?;
        io::stdin().lock().read(buf)
    }
}
