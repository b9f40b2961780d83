//! The DATA decoder (qmail-smtpd's `blast`): SMTP transparency undone, hops
//! counted, size limited. Byte by byte, it is a five-state machine:
//!
//! - CR LF becomes LF; a CR not followed by LF stays in the message as a CR.
//! - A LF without a CR before it, anywhere, is [`Step::StrayNewline`]: the program
//!   answers 451 and drops the connection. Only CR LF `.` CR LF ends the message, so no
//!   near-miss (`LF . LF`, `CR . CR LF`, …) can end it early and smuggle a second one.
//! - At the start of a line a dot is removed whatever follows it (`..x` → `.x`, `.x` →
//!   `x`); `.` CR followed by something other than LF is kept as `.` CR.
//! - NUL bytes, 8-bit bytes and lines of any length pass through.

/// A message with this many Received/Delivered header lines is looping (qmail's MAXHOPS).
pub const MAXHOPS: u32 = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Inside a line.
    InLine,
    /// After CR LF, and at the very start.
    LineStart,
    /// After CR LF `.`.
    Dot,
    /// After CR LF `.` CR.
    DotCr,
    /// After a CR (that may start a CR LF).
    Cr,
}

/// What the bytes fed so far amount to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The message goes on.
    More,
    /// CR LF `.` CR LF seen: the message is complete.
    End,
    /// A bare LF: the session must end.
    StrayNewline,
}

/// Counts header lines beginning with `received` or `delivered` (each letter in lower
/// or upper case; so `Received-SPF:` and `Delivered-To:` count), over the raw bytes, up
/// to the first line that is just CR LF. Only the first 9 bytes of a line are looked at.
#[derive(Clone, Debug)]
struct HopCounter {
    in_header: bool,
    pos: usize,
    maybe_received: bool,
    maybe_end: bool,
    maybe_delivered: bool,
    hops: u32,
}

const DELIVERED: (&[u8], &[u8]) = (b"delivered", b"DELIVERED");
const RECEIVED: (&[u8], &[u8]) = (b"received", b"RECEIVED");

fn matches_at(pat: (&[u8], &[u8]), pos: usize, ch: u8) -> bool {
    pat.0.get(pos) == Some(&ch) || pat.1.get(pos) == Some(&ch)
}

impl HopCounter {
    fn new() -> HopCounter {
        HopCounter {
            in_header: true,
            pos: 0,
            maybe_received: true,
            maybe_end: true,
            maybe_delivered: true,
            hops: 0,
        }
    }

    fn byte(&mut self, ch: u8) {
        if !self.in_header {
            return;
        }
        if self.pos < 9 {
            if !matches_at(DELIVERED, self.pos, ch) {
                self.maybe_delivered = false;
            }
            if self.maybe_delivered && self.pos == 8 {
                self.hops = self.hops.saturating_add(1);
            }
            if self.pos < 8 && !matches_at(RECEIVED, self.pos, ch) {
                self.maybe_received = false;
            }
            if self.maybe_received && self.pos == 7 {
                self.hops = self.hops.saturating_add(1);
            }
            if self.pos < 2 && b"\r\n".get(self.pos) != Some(&ch) {
                self.maybe_end = false;
            }
            if self.maybe_end && self.pos == 1 {
                self.in_header = false;
            }
            self.pos = self.pos.saturating_add(1);
        }
        if ch == b'\n' {
            self.pos = 0;
            self.maybe_received = true;
            self.maybe_end = true;
            self.maybe_delivered = true;
        }
    }
}

/// One message's DATA in progress.
#[derive(Clone, Debug)]
pub struct Blast {
    state: State,
    hops: HopCounter,
    /// databytes + 1 minus the bytes written so far (qmail's bytestooverflow); None when
    /// there is no limit.
    left: Option<u64>,
    overflowed: bool,
}

impl Blast {
    /// `databytes` 0 means no limit.
    pub fn new(databytes: u64) -> Blast {
        Blast {
            state: State::LineStart,
            hops: HopCounter::new(),
            left: (databytes != 0).then(|| databytes.saturating_add(1)),
            overflowed: false,
        }
    }

    /// Header lines counted as hops so far.
    pub fn hops(&self) -> u32 {
        self.hops.hops
    }

    /// The message is looping (decided when it is complete).
    pub fn too_many_hops(&self) -> bool {
        self.hops.hops >= MAXHOPS
    }

    /// More than databytes decoded bytes: the submission must fail.
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// One decoded byte for the message; once over the limit nothing more is kept.
    fn put(&mut self, ch: u8, out: &mut Vec<u8>) {
        self.put_slice(&[ch], out);
    }

    fn put_slice(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        if self.overflowed {
            return;
        }
        if let Some(left) = self.left {
            let n = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
            if n >= left {
                self.overflowed = true;
                self.left = Some(0);
                return;
            }
            self.left = Some(left.saturating_sub(n));
        }
        out.extend_from_slice(bytes);
    }

    /// Decode `input`, appending message bytes to `out`. Returns how many input bytes
    /// were used (all of them unless the message ended or a bare LF came) and the step.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> (usize, Step) {
        let mut i = 0usize;
        while let Some(&ch) = input.get(i) {
            i = i.saturating_add(1);
            if self.state == State::InLine && !self.hops.in_header {
                // Fast path: copy the rest of a body line in one go.
                let rest = input.get(i..).unwrap_or_default();
                let span = memchr::memchr2(b'\r', b'\n', rest).unwrap_or(rest.len());
                if ch != b'\r' && ch != b'\n' {
                    let start = i.saturating_sub(1);
                    let end = i.saturating_add(span);
                    self.put_slice(input.get(start..end).unwrap_or_default(), out);
                    i = end;
                    continue;
                }
            }
            self.hops.byte(ch);
            match self.state {
                State::InLine => match ch {
                    b'\n' => return (i, Step::StrayNewline),
                    b'\r' => self.state = State::Cr,
                    _ => self.put(ch, out),
                },
                State::LineStart => match ch {
                    b'\n' => return (i, Step::StrayNewline),
                    b'.' => self.state = State::Dot,
                    b'\r' => self.state = State::Cr,
                    _ => {
                        self.state = State::InLine;
                        self.put(ch, out);
                    }
                },
                State::Dot => match ch {
                    b'\n' => return (i, Step::StrayNewline),
                    b'\r' => self.state = State::DotCr,
                    _ => {
                        self.state = State::InLine;
                        self.put(ch, out);
                    }
                },
                State::DotCr => {
                    if ch == b'\n' {
                        return (i, Step::End);
                    }
                    self.put(b'.', out);
                    self.put(b'\r', out);
                    if ch == b'\r' {
                        self.state = State::Cr;
                    } else {
                        self.state = State::InLine;
                        self.put(ch, out);
                    }
                }
                State::Cr => match ch {
                    b'\n' => {
                        self.state = State::LineStart;
                        self.put(b'\n', out);
                    }
                    // The earlier CR was not part of CR LF: keep it; this one may be.
                    b'\r' => self.put(b'\r', out),
                    _ => {
                        self.put(b'\r', out);
                        self.state = State::InLine;
                        self.put(ch, out);
                    }
                },
            }
        }
        (i, Step::More)
    }
}

#[cfg(test)]
mod tests;
