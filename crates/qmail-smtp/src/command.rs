//! The command lexer (qmail's commands.c): a line is everything up to LF; one trailing CR
//! is dropped; the verb is the text before the first space, matched without regard to
//! case; the argument is the rest after the spaces that follow the verb.
//!
//! qmail handles the line as a C string, so a NUL byte ends it; we cut the line at the
//! first NUL to get the same verb and argument.

/// The commands qmail-smtpd knows. Everything else (EXPN, TURN, an empty line…) is
/// `Unknown` and gets 502; so does STARTTLS without qmail-tlsd in front.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Helo,
    Ehlo,
    Mail,
    Rcpt,
    Data,
    Rset,
    Noop,
    Vrfy,
    Help,
    Quit,
    Starttls,
    Auth,
    Unknown,
}

const VERBS: &[(&[u8], Verb)] = &[
    (b"rcpt", Verb::Rcpt),
    (b"mail", Verb::Mail),
    (b"data", Verb::Data),
    (b"quit", Verb::Quit),
    (b"helo", Verb::Helo),
    (b"ehlo", Verb::Ehlo),
    (b"rset", Verb::Rset),
    (b"help", Verb::Help),
    (b"noop", Verb::Noop),
    (b"vrfy", Verb::Vrfy),
    (b"starttls", Verb::Starttls),
    (b"auth", Verb::Auth),
];

/// One command line, split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Command<'a> {
    pub verb: Verb,
    pub arg: &'a [u8],
}

/// Split a line (without its LF).
pub fn parse(line: &[u8]) -> Command<'_> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = match memchr::memchr(0, line) {
        Some(i) => line.get(..i).unwrap_or_default(),
        None => line,
    };
    let (word, rest) = match memchr::memchr(b' ', line) {
        Some(i) => (
            line.get(..i).unwrap_or_default(),
            line.get(i..).unwrap_or_default(),
        ),
        None => (line, &b""[..]),
    };
    let skip = rest.iter().take_while(|&&b| b == b' ').count();
    let arg = rest.get(skip..).unwrap_or_default();
    let verb = VERBS
        .iter()
        .find(|(name, _)| word.eq_ignore_ascii_case(name))
        .map_or(Verb::Unknown, |&(_, v)| v);
    Command { verb, arg }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(l: &[u8]) -> (Verb, &[u8]) {
        let c = parse(l);
        (c.verb, c.arg)
    }

    #[test]
    fn verbs_and_args() {
        assert_eq!(p(b"HELO x.example\r"), (Verb::Helo, &b"x.example"[..]));
        assert_eq!(p(b"mAiL FROM:<a@b>"), (Verb::Mail, &b"FROM:<a@b>"[..]));
        assert_eq!(p(b"RCPT    TO:<a@b> x "), (Verb::Rcpt, &b"TO:<a@b> x "[..]));
        assert_eq!(p(b"DATA"), (Verb::Data, &b""[..]));
        assert_eq!(p(b"data \r"), (Verb::Data, &b""[..]));
        assert_eq!(p(b"QUIT\r\r"), (Verb::Unknown, &b""[..]));
        assert_eq!(p(b""), (Verb::Unknown, &b""[..]));
        assert_eq!(p(b"\r"), (Verb::Unknown, &b""[..]));
        assert_eq!(p(b" HELO"), (Verb::Unknown, &b"HELO"[..]));
        assert_eq!(p(b"EXPN root"), (Verb::Unknown, &b"root"[..]));
        assert_eq!(p(b"HELOx"), (Verb::Unknown, &b""[..]));
        assert_eq!(p(b"HELO\tx"), (Verb::Unknown, &b""[..]));
    }

    #[test]
    fn nul_ends_the_line() {
        assert_eq!(p(b"QUIT\0junk"), (Verb::Quit, &b""[..]));
        assert_eq!(p(b"MAIL FROM:<a\0@b>"), (Verb::Mail, &b"FROM:<a"[..]));
    }
}
