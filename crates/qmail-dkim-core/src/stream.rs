//! The body hash computed as the body streams past (relaxed body canonicalisation, RFC
//! 6376 §3.4.4, then SHA-256), in constant memory: what [`crate::canon::relaxed_body`]
//! gives for the whole body, fed in pieces of any size. A run of empty lines is only a
//! count until a line with content follows, so trailing empty lines cost nothing.
use ring::digest::{Context, SHA256};

use crate::base64;

/// Canonical bytes are passed to SHA-256 in pieces of this size.
const OUT: usize = 16 * 1024;

pub struct BodyHasher {
    ctx: Context,
    out: Vec<u8>,
    /// Empty lines seen since the last line with content.
    blank: u64,
    /// The current line has content.
    content: bool,
    /// White space seen since the last content byte of this line.
    wsp: bool,
    /// A CR seen last: dropped if an LF follows, content otherwise.
    cr: bool,
}

impl Default for BodyHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl BodyHasher {
    pub fn new() -> BodyHasher {
        BodyHasher {
            ctx: Context::new(&SHA256),
            out: Vec::with_capacity(OUT),
            blank: 0,
            content: false,
            wsp: false,
            cr: false,
        }
    }

    fn emit(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
        if self.out.len() >= OUT {
            self.ctx.update(&self.out);
            self.out.clear();
        }
    }

    fn content_byte(&mut self, b: u8) {
        if !self.content {
            while self.blank > 0 {
                self.emit(b"\r\n");
                self.blank -= 1;
            }
            self.content = true;
        }
        if self.wsp {
            self.emit(b" ");
            self.wsp = false;
        }
        self.emit(&[b]);
    }

    fn end_line(&mut self) {
        if self.content {
            self.emit(b"\r\n");
        } else {
            self.blank = self.blank.saturating_add(1);
        }
        self.content = false;
        self.wsp = false;
    }

    /// More body bytes.
    pub fn update(&mut self, data: &[u8]) {
        for &b in data {
            if self.cr {
                self.cr = false;
                if b == b'\n' {
                    self.end_line();
                    continue;
                }
                self.content_byte(b'\r');
            }
            match b {
                b'\r' => self.cr = true,
                b'\n' => self.end_line(),
                b' ' | b'\t' => self.wsp = true,
                _ => self.content_byte(b),
            }
        }
    }

    /// The base64 SHA-256 of the canonical body (the bh= value). A last line without a
    /// line end is ended; a CR just before the end is dropped, as before an LF.
    pub fn finish(mut self) -> Vec<u8> {
        if self.content {
            self.emit(b"\r\n");
        }
        self.ctx.update(&self.out);
        base64::encode(self.ctx.finish().as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canon::relaxed_body;
    use ring::digest::digest;

    fn whole(body: &[u8]) -> Vec<u8> {
        base64::encode(digest(&SHA256, &relaxed_body(body)).as_ref())
    }

    #[test]
    fn same_as_whole() {
        for body in [
            &b""[..],
            b"x",
            b"x\r",
            b"\n\n",
            b" C \r\nD \t E\r\n\r\n\r\n",
            b"a\r\rb\n\n  \nc \n\t\n",
            b"  lead\n\ntrail  ",
        ] {
            for step in 1..=body.len().max(1) {
                let mut h = BodyHasher::new();
                for piece in body.chunks(step) {
                    h.update(piece);
                }
                assert_eq!(h.finish(), whole(body), "{body:?} in pieces of {step}");
            }
        }
    }
}
