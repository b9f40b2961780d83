//! The body hash, computed as the body streams past (RFC 6376 §3.4.3, §3.4.4, §3.7):
//! simple or relaxed canonicalisation, l= honoured, constant memory whatever the body.
//! LF and CRLF line ends are read alike (the queue holds LF); CRLF is hashed.
use ring::digest::{Context, SHA256};

use crate::signature::Canon;

const BUF: usize = 8192;

pub struct BodyHasher {
    canon: Canon,
    limit: Option<u64>,
    ctx: Context,
    buf: Vec<u8>,
    /// Bytes of canonical body so far (all of it, not only what l= covers).
    total: u64,
    /// Empty lines not yet known to be followed by a non-empty one.
    blank: u64,
    line_started: bool,
    /// relaxed: white space seen and not yet written.
    wsp: bool,
    /// A CR that may be the start of a CRLF.
    cr: bool,
}

impl BodyHasher {
    pub fn new(canon: Canon, limit: Option<u64>) -> BodyHasher {
        BodyHasher {
            canon,
            limit,
            ctx: Context::new(&SHA256),
            buf: Vec::with_capacity(BUF),
            total: 0,
            blank: 0,
            line_started: false,
            wsp: false,
            cr: false,
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        for &b in data {
            self.byte(b);
        }
    }

    fn byte(&mut self, b: u8) {
        if self.cr {
            self.cr = false;
            if b == b'\n' {
                self.end_line();
                return;
            }
            self.content(b'\r');
        }
        match b {
            b'\r' => self.cr = true,
            b'\n' => self.end_line(),
            b' ' | b'\t' if self.canon == Canon::Relaxed => self.wsp = true,
            _ => self.content(b),
        }
    }

    fn content(&mut self, b: u8) {
        if !self.line_started {
            while self.blank > 0 {
                self.emit(b"\r\n");
                self.blank = self.blank.saturating_sub(1);
            }
            self.line_started = true;
        }
        if self.wsp {
            self.wsp = false;
            self.emit(b" ");
        }
        self.emit(&[b]);
    }

    fn end_line(&mut self) {
        if self.line_started {
            self.emit(b"\r\n");
        } else {
            self.blank = self.blank.saturating_add(1);
        }
        self.line_started = false;
        self.wsp = false;
    }

    fn emit(&mut self, s: &[u8]) {
        let n = u64::try_from(s.len()).unwrap_or(u64::MAX);
        let take = match self.limit {
            None => s.len(),
            Some(l) => {
                let room = l.saturating_sub(self.total);
                usize::try_from(room.min(n)).unwrap_or(0)
            }
        };
        self.total = self.total.saturating_add(n);
        self.buf
            .extend_from_slice(s.get(..take).unwrap_or_default());
        if self.buf.len() >= BUF {
            self.ctx.update(&self.buf);
            self.buf.clear();
        }
    }

    /// The end of the body: the hash, and the length of the whole canonical body.
    pub fn finish(mut self) -> (Vec<u8>, u64) {
        if self.cr {
            self.cr = false;
            self.content(b'\r');
        }
        if self.line_started {
            self.emit(b"\r\n");
        }
        if self.canon == Canon::Simple && self.total == 0 {
            // §3.4.3: an empty body is one CRLF.
            self.emit(b"\r\n");
        }
        self.ctx.update(&self.buf);
        (self.ctx.finish().as_ref().to_vec(), self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::digest::digest;

    /// Is `want` the canonical form of `body` (fed one byte at a time)?
    fn canon(c: Canon, body: &[u8], want: &[u8]) {
        let mut h = BodyHasher::new(c, None);
        for &b in body {
            h.update(&[b]);
        }
        let (hash, total) = h.finish();
        assert_eq!(hash, digest(&SHA256, want).as_ref(), "{body:?}");
        assert_eq!(total, want.len() as u64);
    }

    #[test]
    fn rfc6376_examples() {
        // §3.4.6
        let body = b" C \r\nD \t E\r\n\r\n\r\n";
        canon(Canon::Relaxed, body, b" C\r\nD E\r\n");
        canon(Canon::Simple, body, b" C \r\nD \t E\r\n");
        canon(Canon::Relaxed, b" C \nD \t E\n\n\n", b" C\r\nD E\r\n");
        canon(Canon::Simple, b"", b"\r\n");
        canon(Canon::Simple, b"\n\n", b"\r\n");
        canon(Canon::Relaxed, b"", b"");
        canon(Canon::Relaxed, b"\n \n", b"");
        canon(Canon::Relaxed, b"x", b"x\r\n");
        canon(Canon::Simple, b"a\rb\r", b"a\rb\r\r\n");
        canon(Canon::Simple, b"\n\na\n\n", b"\r\n\r\na\r\n");
    }

    #[test]
    fn matches_the_whole_body_canonicalisation_and_limits() {
        let body = b"Hello  \t world \n\n line\r\n\n\n";
        let want = crate::canon::relaxed_body(body);
        let mut h = BodyHasher::new(Canon::Relaxed, None);
        h.update(body);
        let (hash, total) = h.finish();
        assert_eq!(hash, digest(&SHA256, &want).as_ref());
        assert_eq!(total, want.len() as u64);
        let mut h = BodyHasher::new(Canon::Relaxed, Some(5));
        h.update(body);
        let (hash, total) = h.finish();
        assert_eq!(hash, digest(&SHA256, &want[..5]).as_ref());
        assert_eq!(total, want.len() as u64);
    }
}
