//! The DATA transparency encoder (RFC 5321 §4.5.2), qmail-remote's `blast`:
//! - every line ending goes out as CRLF: `\n` and `\r\n` alike (notqmail 2020);
//! - a bare CR (not followed by LF) also ends the line with CRLF, so the output never
//!   holds a CR or LF outside a CRLF pair and no peer can be made to see an end of data
//!   we did not send (SMTP smuggling); the byte after it starts a new line;
//! - a line starting with `.` gets another `.` in front;
//! - the message ends with `.\r\n`; a message whose last line has no line ending is
//!   refused (permanent, #5.6.2), except that a final bare CR counts as a line ending;
//! - 8-bit bytes and long lines pass unchanged.

/// Where the encoded bytes go. `put` takes protocol pieces (`.`, CRLF, the final dot)
/// that qmail writes as one unit; `data` takes runs of message bytes, which qmail writes
/// byte by byte. Keeping the two apart lets the writer reproduce qmail's buffer flushes.
pub trait Sink {
    type Error;
    fn put(&mut self, piece: &[u8]) -> Result<(), Self::Error>;
    fn data(&mut self, run: &[u8]) -> Result<(), Self::Error>;
}

impl Sink for Vec<u8> {
    type Error = std::convert::Infallible;
    fn put(&mut self, piece: &[u8]) -> Result<(), Self::Error> {
        self.extend_from_slice(piece);
        Ok(())
    }
    fn data(&mut self, run: &[u8]) -> Result<(), Self::Error> {
        self.extend_from_slice(run);
        Ok(())
    }
}

/// The message ended in the middle of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartialLine;

#[derive(Clone, Debug)]
pub struct Blast {
    line_start: bool,
    cr: bool,
}

impl Default for Blast {
    fn default() -> Self {
        Blast::new()
    }
}

impl Blast {
    pub fn new() -> Blast {
        Blast {
            line_start: true,
            cr: false,
        }
    }

    /// Encode the next piece of the message (any split of the message gives the same
    /// output).
    pub fn feed<S: Sink>(&mut self, mut input: &[u8], out: &mut S) -> Result<(), S::Error> {
        while let Some(&first) = input.first() {
            if self.cr {
                self.cr = false;
                out.put(b"\r\n")?;
                self.line_start = true;
                if first == b'\n' {
                    input = input.get(1..).unwrap_or_default();
                    continue;
                }
            }
            if self.line_start && first == b'.' {
                out.put(b".")?;
            }
            self.line_start = false;
            match memchr::memchr2(b'\r', b'\n', input) {
                None => return out.data(input),
                Some(i) => {
                    out.data(input.get(..i).unwrap_or_default())?;
                    if input.get(i) == Some(&b'\n') {
                        out.put(b"\r\n")?;
                        self.line_start = true;
                    } else {
                        self.cr = true;
                    }
                    input = input.get(i.saturating_add(1)..).unwrap_or_default();
                }
            }
        }
        Ok(())
    }

    /// Would `finish` refuse the message (its last line has no line ending)?
    pub fn partial(&self) -> bool {
        !self.cr && !self.line_start
    }

    /// End of the message: the final dot, or `PartialLine` (and nothing more sent).
    pub fn finish<S: Sink>(self, out: &mut S) -> Result<Result<(), PartialLine>, S::Error> {
        if self.cr {
            out.put(b"\r\n")?;
        } else if !self.line_start {
            return Ok(Err(PartialLine));
        }
        out.put(b".\r\n")?;
        Ok(Ok(()))
    }
}

/// The whole encoding of `msg` (tests, fuzzing).
pub fn encode(msg: &[u8]) -> Result<Vec<u8>, PartialLine> {
    let mut out = Vec::new();
    let mut b = Blast::new();
    let Ok(()) = b.feed(msg, &mut out);
    let Ok(r) = b.finish(&mut out);
    r.map(|()| out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notqmail_unit_cases() {
        assert_eq!(encode(b"").unwrap(), b".\r\n");
        assert_eq!(encode(b".\n").unwrap(), b"..\r\n.\r\n");
        assert_eq!(encode(b"cr\rlf\n").unwrap(), b"cr\r\nlf\r\n.\r\n");
        assert_eq!(encode(b".\r\n").unwrap(), b"..\r\n.\r\n");
    }

    #[test]
    fn compliance_transparency_message() {
        let mut m = b"Subject: transparency\n\n.starts with a dot\n..two dots\n.\nbare\rcr\nalready crlf\r\n8bit: \xe9\n".to_vec();
        m.extend(std::iter::repeat(b'L').take(2000));
        m.extend_from_slice(b"\nend\n");
        let mut want = b"Subject: transparency\r\n\r\n..starts with a dot\r\n...two dots\r\n..\r\nbare\r\ncr\r\nalready crlf\r\n8bit: \xe9\r\n".to_vec();
        want.extend(std::iter::repeat(b'L').take(2000));
        want.extend_from_slice(b"\r\nend\r\n.\r\n");
        assert_eq!(encode(&m).unwrap(), want);
    }

    #[test]
    fn partial_lines_and_final_cr() {
        assert_eq!(encode(b"no newline at the end"), Err(PartialLine));
        assert_eq!(encode(b"a\n."), Err(PartialLine));
        assert_eq!(encode(b"ends in cr\r").unwrap(), b"ends in cr\r\n.\r\n");
        assert_eq!(encode(b"a\r\r\n").unwrap(), b"a\r\n\r\n.\r\n");
    }

    #[test]
    fn no_smuggled_end_of_data() {
        // A bare CR followed by a dot line: the dot is stuffed like any line start.
        assert_eq!(encode(b"x\r.\r\ny\n").unwrap(), b"x\r\n..\r\ny\r\n.\r\n");
        assert_eq!(encode(b"x\n.\ry\n").unwrap(), b"x\r\n..\r\ny\r\n.\r\n");
    }

    #[test]
    fn any_split_gives_the_same_output() {
        let m = b"a\r\n.b\r.c\n\r\n..\rx\n";
        let whole = encode(m).unwrap();
        for i in 0..=m.len() {
            for j in i..=m.len() {
                let mut out = Vec::new();
                let mut b = Blast::new();
                let Ok(()) = b.feed(&m[..i], &mut out);
                let Ok(()) = b.feed(&m[i..j], &mut out);
                let Ok(()) = b.feed(&m[j..], &mut out);
                let Ok(r) = b.finish(&mut out);
                r.unwrap();
                assert_eq!(out, whole, "split at {i},{j}");
            }
        }
    }
}
