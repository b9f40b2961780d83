//! The transaction state of a POP3 session as qmail-pop3d keeps it, with no I/O: each
//! command gives a [`Step`] — a reply to send, a message to send, or the end. Deletions
//! are only marks until QUIT; numbers count from 1 over the list made at login.
use crate::commands::Command;

/// One message of the listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// `new/NAME` or `cur/NAME`, relative to the Maildir.
    pub name: Vec<u8>,
    /// Bytes on disk.
    pub size: u64,
    pub deleted: bool,
}

impl Message {
    pub fn new(name: Vec<u8>, size: u64) -> Message {
        Message {
            name,
            size,
            deleted: false,
        }
    }

    /// The unique id: the file name without its `new/` or `cur/` and without the `:info`.
    pub fn uid(&self) -> &[u8] {
        let base = self.name.get(4..).unwrap_or_default();
        match memchr::memchr(b':', base) {
            Some(i) => base.get(..i).unwrap_or_default(),
            None => base,
        }
    }

    /// In new/: moved to cur/ with an empty info at QUIT.
    pub fn is_new(&self) -> bool {
        self.name.starts_with(b"new/")
    }
}

/// What the program does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Send these bytes.
    Reply(Vec<u8>),
    /// Send `+OK ` and message `index` through blast (0 as limit: the whole message,
    /// otherwise the body lines allowed plus one).
    Send { index: usize, limit: u64 },
    /// Carry out the deletions, say `+OK ` and end.
    Quit,
}

pub const OK: &[u8] = b"+OK \r\n";

pub fn err(text: &str) -> Vec<u8> {
    format!("-ERR {text}\r\n").into_bytes()
}

/// The leading decimal number of `s` (scan_ulong): (value, digits). A value too large for
/// u64 saturates, which makes it "not that many messages" instead of wrapping around.
fn scan_ulong(s: &[u8]) -> (u64, usize) {
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let v = s.iter().take(digits).fold(0u64, |n, &b| {
        n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    });
    (v, digits)
}

#[derive(Clone, Debug, Default)]
pub struct Mailbox {
    msgs: Vec<Message>,
    /// The highest message number deleted (RFC 1460's LAST).
    last: usize,
}

impl Mailbox {
    pub fn new(msgs: Vec<Message>) -> Mailbox {
        Mailbox { msgs, last: 0 }
    }

    pub fn messages(&self) -> &[Message] {
        &self.msgs
    }

    pub fn last(&self) -> usize {
        self.last
    }

    /// The message an argument names, counted from 1, not deleted.
    fn msgno(&self, arg: &[u8]) -> Result<usize, Vec<u8>> {
        let (n, digits) = scan_ulong(arg);
        if digits == 0 {
            return Err(err("syntax error"));
        }
        let Some(i) = n.checked_sub(1) else {
            return Err(err("messages are counted from 1"));
        };
        let i = usize::try_from(i).unwrap_or(usize::MAX);
        match self.msgs.get(i) {
            None => Err(err("not that many messages")),
            Some(m) if m.deleted => Err(err("already deleted")),
            Some(_) => Ok(i),
        }
    }

    fn entry(&self, i: usize, uidl: bool, out: &mut Vec<u8>) {
        let Some(m) = self.msgs.get(i) else {
            return;
        };
        out.extend_from_slice(i.saturating_add(1).to_string().as_bytes());
        out.push(b' ');
        if uidl {
            out.extend_from_slice(m.uid());
        } else {
            out.extend_from_slice(m.size.to_string().as_bytes());
        }
        out.extend_from_slice(b"\r\n");
    }

    fn listing(&self, arg: &[u8], uidl: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if arg.is_empty() {
            out.extend_from_slice(OK);
            for (i, m) in self.msgs.iter().enumerate() {
                if !m.deleted {
                    self.entry(i, uidl, &mut out);
                }
            }
            out.extend_from_slice(b".\r\n");
        } else {
            match self.msgno(arg) {
                Ok(i) => {
                    out.extend_from_slice(b"+OK ");
                    self.entry(i, uidl, &mut out);
                }
                Err(e) => return e,
            }
        }
        out
    }

    /// STAT counts every message of the listing, deleted or not (as qmail does), but
    /// adds up the sizes of the undeleted ones only.
    fn stat(&self) -> Vec<u8> {
        let total = self
            .msgs
            .iter()
            .filter(|m| !m.deleted)
            .fold(0u64, |t, m| t.saturating_add(m.size));
        format!("+OK {} {total}\r\n", self.msgs.len()).into_bytes()
    }

    fn top(&self, arg: &[u8]) -> Step {
        let i = match self.msgno(arg) {
            Ok(i) => i,
            Err(e) => return Step::Reply(e),
        };
        let (_, digits) = scan_ulong(arg);
        let rest = arg.get(digits..).unwrap_or_default();
        let rest = rest.get(rest.iter().take_while(|&&b| b == b' ').count()..);
        let (lines, digits) = scan_ulong(rest.unwrap_or_default());
        let limit = if digits > 0 {
            lines.saturating_add(1)
        } else {
            0
        };
        Step::Send { index: i, limit }
    }

    pub fn on_command(&mut self, c: Command<'_>) -> Step {
        if c.is("quit") {
            Step::Quit
        } else if c.is("stat") {
            Step::Reply(self.stat())
        } else if c.is("list") {
            Step::Reply(self.listing(c.arg, false))
        } else if c.is("uidl") {
            Step::Reply(self.listing(c.arg, true))
        } else if c.is("dele") {
            match self.msgno(c.arg) {
                Ok(i) => {
                    if let Some(m) = self.msgs.get_mut(i) {
                        m.deleted = true;
                    }
                    self.last = self.last.max(i.saturating_add(1));
                    Step::Reply(OK.to_vec())
                }
                Err(e) => Step::Reply(e),
            }
        } else if c.is("retr") || c.is("top") {
            self.top(c.arg)
        } else if c.is("rset") {
            for m in &mut self.msgs {
                m.deleted = false;
            }
            self.last = 0;
            Step::Reply(OK.to_vec())
        } else if c.is("last") {
            Step::Reply(format!("+OK {}\r\n", self.last).into_bytes())
        } else if c.is("noop") {
            Step::Reply(OK.to_vec())
        } else {
            Step::Reply(err("unimplemented"))
        }
    }
}

#[cfg(test)]
mod tests;
