//! The envelope qmail-queue reads on fd 1: `F<sender>\0` then `T<recipient>\0`… then a
//! final `\0`. The parser is a byte-level state machine so that qmail-queue can stream an
//! envelope of any number of recipients straight into `intd/` without holding it all.

/// No address may reach 1003 bytes without its NUL (qmail-queue's limit: 1002 bytes).
pub const ADDR_MAX: usize = 1002;

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Text0Error {
    /// Not `F` first, a record other than `T`, or an address with a CR or LF, which
    /// would end a header line or an SMTP command (qmail-queue exit 91).
    #[error("envelope format error")]
    Format,
    /// An address of more than ADDR_MAX bytes (qmail-queue exit 11).
    #[error("envelope address too long")]
    TooLong,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Start,
    Addr(usize),
    Between,
    Done,
}

/// Streaming envelope parser.
#[derive(Debug)]
pub struct Envelope {
    state: State,
    recipients: u64,
}

impl Default for Envelope {
    fn default() -> Self {
        Self::new()
    }
}

impl Envelope {
    pub fn new() -> Self {
        Envelope {
            state: State::Start,
            recipients: 0,
        }
    }

    /// Has the final NUL been read?
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    pub fn recipients(&self) -> u64 {
        self.recipients
    }

    /// Feed bytes; the bytes to store (everything but the final NUL) are appended to
    /// `out`. Returns how many input bytes were used: fewer than `input.len()` only when
    /// the final NUL came before the end of `input`.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<usize, Text0Error> {
        for (i, &b) in input.iter().enumerate() {
            self.state = match self.state {
                State::Start if b == b'F' => State::Addr(0),
                State::Start => return Err(Text0Error::Format),
                State::Addr(_) if b == 0 => State::Between,
                State::Addr(_) if b == b'\r' || b == b'\n' => return Err(Text0Error::Format),
                State::Addr(n) if n >= ADDR_MAX => return Err(Text0Error::TooLong),
                State::Addr(n) => State::Addr(n.saturating_add(1)),
                State::Between if b == b'T' => {
                    self.recipients = self.recipients.saturating_add(1);
                    State::Addr(0)
                }
                State::Between if b == 0 => {
                    self.state = State::Done;
                    return Ok(i.saturating_add(1));
                }
                State::Between => return Err(Text0Error::Format),
                State::Done => return Ok(i),
            };
            out.push(b);
        }
        Ok(input.len())
    }
}

/// Parse a whole envelope held in memory: `(sender, recipients)`.
pub fn parse(input: &[u8]) -> Result<(Vec<u8>, Vec<Vec<u8>>), ParseError> {
    let mut env = Envelope::new();
    let mut out = Vec::new();
    env.push(input, &mut out).map_err(ParseError::Bad)?;
    if !env.is_done() {
        return Err(ParseError::Truncated);
    }
    let mut records = out.split(|&b| b == 0);
    let sender = records
        .next()
        .and_then(|r| r.strip_prefix(b"F"))
        .ok_or(ParseError::Bad(Text0Error::Format))?
        .to_vec();
    let mut rcpts = Vec::new();
    for r in records {
        if r.is_empty() {
            continue; // the split after the last NUL
        }
        rcpts.push(
            r.strip_prefix(b"T")
                .ok_or(ParseError::Bad(Text0Error::Format))?
                .to_vec(),
        );
    }
    Ok((sender, rcpts))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("{0}")]
    Bad(Text0Error),
    #[error("envelope ends before its final NUL")]
    Truncated,
}

/// Build an envelope from a sender and recipients (what every submitter writes).
pub fn build(sender: &[u8], rcpts: &[&[u8]]) -> Vec<u8> {
    let mut v = Vec::new();
    v.push(b'F');
    v.extend_from_slice(sender);
    v.push(0);
    for r in rcpts {
        v.push(b'T');
        v.extend_from_slice(r);
        v.push(0);
    }
    v.push(0);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_envelope() {
        let e = build(b"a@b", &[b"c@d", b"e@f"]);
        let (s, r) = parse(&e).unwrap();
        assert_eq!(s, b"a@b");
        assert_eq!(r, vec![b"c@d".to_vec(), b"e@f".to_vec()]);
        let mut env = Envelope::new();
        let mut out = Vec::new();
        assert_eq!(env.push(&e, &mut out).unwrap(), e.len());
        assert_eq!(out, &e[..e.len() - 1]);
        assert_eq!(env.recipients(), 2);
    }

    #[test]
    fn byte_at_a_time_equals_whole() {
        let e = build(b"", &[b"x@y"]);
        let mut env = Envelope::new();
        let mut out = Vec::new();
        for b in &e {
            env.push(std::slice::from_ref(b), &mut out).unwrap();
        }
        assert!(env.is_done());
        assert_eq!(out, &e[..e.len() - 1]);
    }

    #[test]
    fn bad_envelopes() {
        assert_eq!(parse(b"Tx\0\0"), Err(ParseError::Bad(Text0Error::Format)));
        assert_eq!(
            parse(b"Fa\0Xb\0\0"),
            Err(ParseError::Bad(Text0Error::Format))
        );
        assert_eq!(parse(b"Fa\0Tb\0"), Err(ParseError::Truncated));
        for bad in [&b"Fa\nb\0Tc\0\0"[..], b"Fa\0Tc\r\0\0", b"Fa\0Tc\0T\n\0\0"] {
            assert_eq!(parse(bad), Err(ParseError::Bad(Text0Error::Format)));
        }
        assert_eq!(parse(b""), Err(ParseError::Truncated));
        let long = vec![b'a'; ADDR_MAX];
        assert!(parse(&build(&long, &[b"x"])).is_ok());
        let longer = vec![b'a'; ADDR_MAX + 1];
        assert_eq!(
            parse(&build(&longer, &[b"x"])),
            Err(ParseError::Bad(Text0Error::TooLong))
        );
        assert_eq!(
            parse(&build(b"a", &[&longer])),
            Err(ParseError::Bad(Text0Error::TooLong))
        );
    }

    proptest::proptest! {
        /// An envelope built from addresses parses back to them exactly when no address
        /// holds a NUL, CR or LF; with a CR or LF (and no NUL) it is a format error.
        #[test]
        fn line_breaks_never_parse(
            sender in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
            rcpts in proptest::collection::vec(
                proptest::collection::vec(proptest::num::u8::ANY, 0..40), 0..4),
        ) {
            let r: Vec<&[u8]> = rcpts.iter().map(Vec::as_slice).collect();
            let all = std::iter::once(&sender[..]).chain(r.iter().copied());
            let nul = all.clone().any(|a| a.contains(&0));
            let brk = all.clone().any(|a| a.contains(&b'\r') || a.contains(&b'\n'));
            let got = parse(&build(&sender, &r));
            if !nul && !brk {
                proptest::prop_assert_eq!(got, Ok((sender.clone(), rcpts.clone())));
            } else if !nul {
                proptest::prop_assert_eq!(got, Err(ParseError::Bad(Text0Error::Format)));
            }
        }
    }
}
