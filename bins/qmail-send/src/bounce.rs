//! Bounce messages in QSBMF: the bytes of the bounce message around the paragraphs
//! recorded per failed recipient (`paragraph`, a queue record) and the original.
pub use qmail_core::queue::records::encode_bounce as paragraph;
pub use qmail_core::quote::{quote, quote2};

/// What to do with a finished message's bounce, given the sender from its info file.
#[derive(Debug, PartialEq, Eq)]
pub enum Plan {
    /// The sender is `#@[]`: a bounce of a double bounce is thrown away.
    Discard,
    /// Envelope sender and recipient of the bounce; `double` selects the texts.
    Send {
        from: Vec<u8>,
        to: Vec<u8>,
        double: bool,
    },
}

/// The sender with a VERP suffix `-@[]` removed (`pre@host-@[]` bounces to `pre@host`).
pub fn base_sender(sender: &[u8]) -> &[u8] {
    sender.strip_suffix(b"-@[]").unwrap_or(sender)
}

/// `sender` is already `base_sender`'d; `doublebounceto` is `local@host`.
pub fn plan(sender: &[u8], doublebounceto: &[u8]) -> Plan {
    if sender == b"#@[]" {
        Plan::Discard
    } else if sender.is_empty() {
        Plan::Send {
            from: b"#@[]".to_vec(),
            to: doublebounceto.to_vec(),
            double: true,
        }
    } else {
        Plan::Send {
            from: Vec::new(),
            to: sender.to_vec(),
            double: false,
        }
    }
}

/// Everything before the recorded paragraphs.
pub fn head(date: &str, bouncefrom: &[u8], bouncehost: &[u8], to: &[u8], double: bool) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(b"Date: ");
    m.extend_from_slice(date.as_bytes());
    m.extend_from_slice(b"\nFrom: ");
    m.extend_from_slice(&quote(bouncefrom));
    m.push(b'@');
    m.extend_from_slice(bouncehost);
    m.extend_from_slice(b"\nTo: ");
    m.extend_from_slice(&quote2(to));
    m.extend_from_slice(b"\nSubject: failure notice\n\nHi. This is the qmail-send program at ");
    m.extend_from_slice(bouncehost);
    m.extend_from_slice(b".\n");
    m.extend_from_slice(if double {
        b"I tried to deliver a bounce message to this address, but the bounce bounced!\n\n"
            .as_slice()
    } else {
        b"I'm afraid I wasn't able to deliver your message to the following addresses.\n\
This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
            .as_slice()
    });
    m
}

/// Between the paragraphs and the original message (which starts with its Received line).
pub fn middle(sender: &[u8], double: bool) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(if double {
        b"--- Below this line is the original bounce.\n\n".as_slice()
    } else {
        b"--- Below this line is a copy of the message.\n\n".as_slice()
    });
    m.extend_from_slice(b"Return-Path: <");
    m.extend_from_slice(&quote2(sender));
    m.extend_from_slice(b">\n");
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs() {
        assert_eq!(
            paragraph(b"a@b", b"Sorry, no mailbox here by that name. (#5.1.1)\n"),
            b"<a@b>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"
        );
        assert_eq!(
            paragraph(b"a\nb@c", b"no newline"),
            b"<a_b@c>:\nno newline\n\n"
        );
        assert_eq!(paragraph(b"a@b", b"x\n\n\ny\n"), b"<a@b>:\nx\n//y\n\n");
        assert_eq!(paragraph(b"a@b", b""), b"<a@b>:\n\n");
        // A trailing blank line survives (the last byte is never rewritten).
        assert_eq!(paragraph(b"a@b", b"x\n\n"), b"<a@b>:\nx\n\n\n");
    }

    #[test]
    fn quoting() {
        assert_eq!(quote(b"MAILER-DAEMON"), b"MAILER-DAEMON");
        assert_eq!(quote(b""), b"\"\"");
        assert_eq!(quote(b"a b"), b"\"a b\"");
        assert_eq!(quote(b".a"), b"\".a\"");
        assert_eq!(quote(b"a."), b"\"a.\"");
        assert_eq!(quote(b"a..b"), b"\"a..b\"");
        assert_eq!(quote(b"a.b"), b"a.b");
        // a line break would end the bounce's To: line: it becomes _
        assert_eq!(quote(b"a\"\\\n"), b"\"a\\\"\\\\_\"");
        assert_eq!(quote2(b"a\r\nBcc: x@y"), b"\"a__Bcc: x\"@y");
        assert_eq!(quote(b"\xe9"), b"\"\xe9\"");
        assert_eq!(quote2(b""), b"");
        assert_eq!(quote2(b"#@[]"), b"#@[]");
        assert_eq!(quote2(b"a b@c d"), b"\"a b\"@c d");
        assert_eq!(quote2(b"x@y@z"), b"\"x@y\"@z");
        assert_eq!(quote2(b"nodomain"), b"nodomain");
    }

    #[test]
    fn plans() {
        assert_eq!(base_sender(b"pre@host-@[]"), b"pre@host");
        assert_eq!(base_sender(b"a@b"), b"a@b");
        assert_eq!(plan(b"#@[]", b"postmaster@h"), Plan::Discard);
        assert_eq!(
            plan(b"", b"postmaster@h"),
            Plan::Send {
                from: b"#@[]".to_vec(),
                to: b"postmaster@h".to_vec(),
                double: true
            }
        );
        assert_eq!(
            plan(b"s@x", b"postmaster@h"),
            Plan::Send {
                from: Vec::new(),
                to: b"s@x".to_vec(),
                double: false
            }
        );
    }

    #[test]
    fn message_bytes() {
        let h = head(
            "6 Sep 1995 04:46:54 -0000",
            b"MAILER-DAEMON",
            b"cmp.example",
            b"s@x",
            false,
        );
        assert_eq!(
            String::from_utf8_lossy(&h),
            "Date: 6 Sep 1995 04:46:54 -0000\nFrom: MAILER-DAEMON@cmp.example\nTo: s@x\n\
Subject: failure notice\n\nHi. This is the qmail-send program at cmp.example.\n\
I'm afraid I wasn't able to deliver your message to the following addresses.\n\
This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        );
        let h = head("D", b"MAILER-DAEMON", b"h", b"postmaster@h", true);
        assert!(h.ends_with(
            b"at h.\nI tried to deliver a bounce message to this address, but the bounce bounced!\n\n"
        ));
        assert_eq!(
            middle(b"s@x", false),
            b"--- Below this line is a copy of the message.\n\nReturn-Path: <s@x>\n"
        );
        assert_eq!(
            middle(b"", true),
            b"--- Below this line is the original bounce.\n\nReturn-Path: <>\n"
        );
    }
}
