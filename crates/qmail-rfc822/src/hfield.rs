//! Header field names qmail-inject knows, and the test for a well-formed field line.

/// Known header fields. `Unknown` is every other (valid) field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum H {
    Unknown,
    Sender,
    From,
    ReplyTo,
    To,
    Cc,
    Bcc,
    Date,
    MessageId,
    Subject,
    ResentSender,
    ResentFrom,
    ResentReplyTo,
    ResentTo,
    ResentCc,
    ResentBcc,
    ResentDate,
    ResentMessageId,
    ReturnReceiptTo,
    ErrorsTo,
    ApparentlyTo,
    Received,
    ReturnPath,
    DeliveredTo,
    ContentLength,
    ContentType,
    ContentTransferEncoding,
    NoticeRequestedUponDeliveryTo,
    MailFollowupTo,
}

/// Number of `H` values, for "seen" tables.
pub const H_NUM: usize = 29;

const NAMES: [(&str, H); 28] = [
    ("sender", H::Sender),
    ("from", H::From),
    ("reply-to", H::ReplyTo),
    ("to", H::To),
    ("cc", H::Cc),
    ("bcc", H::Bcc),
    ("date", H::Date),
    ("message-id", H::MessageId),
    ("subject", H::Subject),
    ("resent-sender", H::ResentSender),
    ("resent-from", H::ResentFrom),
    ("resent-reply-to", H::ResentReplyTo),
    ("resent-to", H::ResentTo),
    ("resent-cc", H::ResentCc),
    ("resent-bcc", H::ResentBcc),
    ("resent-date", H::ResentDate),
    ("resent-message-id", H::ResentMessageId),
    ("return-receipt-to", H::ReturnReceiptTo),
    ("errors-to", H::ErrorsTo),
    ("apparently-to", H::ApparentlyTo),
    ("received", H::Received),
    ("return-path", H::ReturnPath),
    ("delivered-to", H::DeliveredTo),
    ("content-length", H::ContentLength),
    ("content-type", H::ContentType),
    ("content-transfer-encoding", H::ContentTransferEncoding),
    (
        "notice-requested-upon-delivery-to",
        H::NoticeRequestedUponDeliveryTo,
    ),
    ("mail-followup-to", H::MailFollowupTo),
];

/// `field` starts with `name` (ASCII case-insensitive), then optional spaces and tabs,
/// then a colon.
fn hmatch(field: &[u8], name: &str) -> bool {
    let n = name.len();
    match field.get(..n) {
        Some(head) if head.eq_ignore_ascii_case(name.as_bytes()) => {}
        _ => return false,
    }
    for &c in field.get(n..).unwrap_or_default() {
        match c {
            b':' => return true,
            b' ' | b'\t' => {}
            _ => return false,
        }
    }
    false
}

/// Which known field this is.
pub fn known(field: &[u8]) -> H {
    NAMES
        .iter()
        .find(|(name, _)| hmatch(field, name))
        .map_or(H::Unknown, |&(_, h)| h)
}

impl H {
    /// Index for a `[bool; H_NUM]` table.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A field line: a non-empty name of bytes 33..=126 before the first colon (spaces and
/// tabs right before the colon allowed).
pub fn valid(line: &[u8]) -> bool {
    let Some(colon) = memchr::memchr(b':', line) else {
        return false;
    };
    let name = line.get(..colon).unwrap_or_default();
    let name = match name.iter().rposition(|&c| c != b' ' && c != b'\t') {
        Some(last) => name.get(..=last).unwrap_or_default(),
        None => return false,
    };
    name.iter().all(|&c| (33..=126).contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(known(b"To: x"), H::To);
        assert_eq!(known(b"tO \t: x"), H::To);
        assert_eq!(known(b"Resent-Message-ID:"), H::ResentMessageId);
        assert_eq!(known(b"Tox: x"), H::Unknown);
        assert_eq!(known(b"To"), H::Unknown);
        assert_eq!(known(b"RETURN-PATH: <>"), H::ReturnPath);
        assert_eq!(known(b"Content-Length: 3"), H::ContentLength);
        assert_eq!(H::MailFollowupTo.index(), H_NUM - 1);
    }

    #[test]
    fn validity() {
        assert!(valid(b"X-A: b\n"));
        assert!(valid(b"X-A :b\n"));
        assert!(valid(b"X:\n"));
        assert!(!valid(b": x\n"));
        assert!(!valid(b"  : x\n"));
        assert!(!valid(b"X A: b\n"));
        assert!(!valid(b"no colon\n"));
        assert!(!valid(b"\xe9t\xe9: x\n"));
    }
}
