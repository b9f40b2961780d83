//! The message netstring of QMTP. Its first byte says how lines end: LF (`\n`, the bytes
//! are the message) or CRLF (`\r`, each CR LF becomes LF; a CR not followed by LF stays).
//! databytes is checked on what goes to qmail-queue.

/// Decoding and size accounting for one message.
#[derive(Debug)]
pub struct Body {
    dos: bool,
    pending_cr: bool,
    /// databytes; 0 is unlimited.
    limit: u64,
    /// Bytes given to qmail-queue so far (CRLF mode).
    count: u64,
    over: bool,
}

impl Body {
    /// `first` is the encoding byte; `len` the bytes after it. None: neither LF nor CR,
    /// a protocol error.
    pub fn new(first: u8, len: u64, databytes: u64) -> Option<Body> {
        let dos = match first {
            b'\n' => false,
            b'\r' => true,
            _ => return None,
        };
        Some(Body {
            dos,
            pending_cr: false,
            limit: databytes,
            count: 0,
            // In LF mode the size is known at once.
            over: !dos && databytes > 0 && len > databytes,
        })
    }

    /// Has the message gone past databytes? Then nothing more needs queueing.
    pub fn over(&self) -> bool {
        self.over
    }

    fn emit(&mut self, b: u8, out: &mut Vec<u8>) {
        if self.limit > 0 && !self.over {
            self.count = self.count.saturating_add(1);
            if self.count > self.limit {
                self.over = true;
            }
        }
        out.push(b);
    }

    /// Decode `chunk`, appending what goes to qmail-queue to `out`.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        if !self.dos {
            out.extend_from_slice(chunk);
            return;
        }
        for &b in chunk {
            if self.pending_cr {
                self.pending_cr = false;
                if b == b'\n' {
                    self.emit(b'\n', out);
                    continue;
                }
                self.emit(b'\r', out);
            }
            if b == b'\r' {
                self.pending_cr = true;
            } else {
                self.emit(b, out);
            }
        }
    }

    /// The end of the message: a CR at the very end is kept.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.pending_cr {
            self.pending_cr = false;
            self.emit(b'\r', out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(first: u8, body: &[u8], databytes: u64, split: usize) -> (Vec<u8>, bool) {
        let mut b = Body::new(first, body.len() as u64, databytes).unwrap();
        let mut out = Vec::new();
        let (x, y) = body.split_at(split.min(body.len()));
        b.feed(x, &mut out);
        b.feed(y, &mut out);
        b.finish(&mut out);
        (out, b.over())
    }

    #[test]
    fn lf_mode_is_verbatim() {
        let body = b"Subject: x\r\n\r\nbody\r\n";
        assert_eq!(decode(b'\n', body, 0, 3), (body.to_vec(), false));
    }

    #[test]
    fn crlf_mode() {
        for split in 0..20 {
            assert_eq!(
                decode(b'\r', b"a\r\nb\rc\r\r\nd\r", 0, split).0,
                b"a\nb\rc\r\nd\r".to_vec(),
                "split at {split}"
            );
        }
    }

    #[test]
    fn not_an_encoding() {
        assert!(Body::new(b'S', 3, 0).is_none());
    }

    #[test]
    fn databytes() {
        assert!(!decode(b'\n', b"12345", 5, 2).1);
        assert!(decode(b'\n', b"123456", 5, 2).1);
        // CRLF mode counts decoded bytes.
        assert!(!decode(b'\r', b"1\r\n2\r\n3", 5, 2).1);
        assert!(decode(b'\r', b"1\r\n2\r\n34", 5, 2).1);
        assert!(!decode(b'\r', b"123456789", 0, 2).1);
    }
}
