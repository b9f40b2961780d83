//! Netstrings, `<decimal length>:<bytes>,`, as QMTP (qmail-qmtpd) and QMQP (qmail-qmqpd,
//! qmail-qmqpc) carry messages, envelopes and answers.
//!
//! Every byte comes from the network, so the reader is strict: a length is ASCII digits
//! only (notqmail 2022 fixed qmail's "any byte minus '0'" arithmetic), it may not grow
//! past [`LEN_MAX`] (a resource limit, temporary), and a reader can be given a byte budget
//! so that nested netstrings can never run past the one that contains them. All length
//! arithmetic is checked.
#![forbid(unsafe_code)]

#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
mod reader;
mod writer;

pub use reader::Reader;
pub use writer::{encode, write};

/// A length that already exceeds this when another digit arrives is refused as a resource
/// problem (qmail's 200000000; the largest accepted length is therefore 2000000009).
pub const LEN_MAX: u64 = 200_000_000;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input ended (the peer went away).
    #[error("end of input")]
    Eof,
    /// Reading failed.
    #[error("read error: {0}")]
    Io(#[from] std::io::Error),
    /// Not a netstring: a non-digit in a length, a missing `:` or `,`, a netstring that
    /// runs past its container. Permanent (exit 100 in the servers).
    #[error("protocol error")]
    Proto,
    /// A length beyond [`LEN_MAX`]. Temporary (exit 111 in the servers).
    #[error("length too large")]
    TooLarge,
}

/// How the netstring servers (qmail-qmtpd, qmail-qmqpd) end on each error.
impl From<Error> for qmail_core::exit::QmtpExit {
    fn from(e: Error) -> qmail_core::exit::QmtpExit {
        use qmail_core::exit::QmtpExit;
        match e {
            Error::Eof | Error::Io(_) => QmtpExit::Gone,
            Error::Proto => QmtpExit::Proto,
            Error::TooLarge => QmtpExit::Resources,
        }
    }
}

/// One more digit of a length, with qmail's limit and checked arithmetic.
pub fn push_digit(len: u64, b: u8) -> Result<u64, Error> {
    if !b.is_ascii_digit() {
        return Err(Error::Proto);
    }
    if len > LEN_MAX {
        return Err(Error::TooLarge);
    }
    len.checked_mul(10)
        .and_then(|l| l.checked_add(u64::from(b - b'0')))
        .ok_or(Error::TooLarge)
}

/// Split one netstring off the front of `data`: `(payload, rest)`. [`Error::Eof`] means
/// `data` ends before the netstring does.
pub fn parse(data: &[u8]) -> Result<(&[u8], &[u8]), Error> {
    let mut len = 0u64;
    let mut pos = 0usize;
    loop {
        let b = *data.get(pos).ok_or(Error::Eof)?;
        pos = pos.checked_add(1).ok_or(Error::TooLarge)?;
        if b == b':' {
            break;
        }
        len = push_digit(len, b)?;
    }
    let len = usize::try_from(len).map_err(|_| Error::TooLarge)?;
    let end = pos.checked_add(len).ok_or(Error::TooLarge)?;
    let payload = data.get(pos..end).ok_or(Error::Eof)?;
    match data.get(end) {
        None => Err(Error::Eof),
        Some(b',') => Ok((
            payload,
            data.get(end.saturating_add(1)..).unwrap_or_default(),
        )),
        Some(_) => Err(Error::Proto),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_good() {
        let (p, rest) = parse(b"5:hello,3:abc,").unwrap();
        assert_eq!(p, b"hello");
        assert_eq!(rest, b"3:abc,");
        let (p, rest) = parse(b"0:,").unwrap();
        assert_eq!(p, b"");
        assert_eq!(rest, b"");
        let (p, _) = parse(b"007:\0\r\n:,x1,").unwrap();
        assert_eq!(p, b"\0\r\n:,x1");
    }

    #[test]
    fn parse_bad() {
        assert!(matches!(parse(b"x:junk"), Err(Error::Proto)));
        assert!(matches!(parse(b"1x:a,"), Err(Error::Proto)));
        assert!(matches!(parse(b"-1:a,"), Err(Error::Proto)));
        assert!(matches!(parse(b" 1:a,"), Err(Error::Proto)));
        assert!(matches!(parse(b"1:ab"), Err(Error::Proto)));
        assert!(matches!(parse(b"3:ab"), Err(Error::Eof)));
        assert!(matches!(parse(b"3:abc"), Err(Error::Eof)));
        assert!(matches!(parse(b"12"), Err(Error::Eof)));
        assert!(matches!(parse(b""), Err(Error::Eof)));
        // qmail's ASCII arithmetic took '/' (0x2f) as digit -1 and ';' as 11.
        assert!(matches!(parse(b"1/:a,"), Err(Error::Proto)));
        assert!(matches!(parse(b"1;:a,"), Err(Error::Proto)));
    }

    #[test]
    fn length_limit() {
        assert_eq!(push_digit(200_000_000, b'9').unwrap(), 2_000_000_009);
        assert!(matches!(
            push_digit(200_000_001, b'0'),
            Err(Error::TooLarge)
        ));
        assert!(matches!(
            parse(b"99999999999999999999999999:"),
            Err(Error::TooLarge)
        ));
        assert!(matches!(parse(b"2000000009:x"), Err(Error::Eof)));
    }
}
