//! `.qmail` files: the line parser (pure, fuzzed) and the order in which qmail-local looks
//! for a file for an extension address (dot-qmail(5); the order itself
//! lives in qmail-core, shared with qmail-smtpd's recipient check).

/// One line of a `.qmail` file (or of the default delivery).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Instruction<'a> {
    /// An empty line (after trailing white space is removed).
    Blank,
    /// `#…`
    Comment,
    /// `/path/` or `./path/`: a Maildir.
    Maildir(&'a [u8]),
    /// `/path` or `./path`: an mbox file.
    Mbox(&'a [u8]),
    /// `|command`, run by `/bin/sh -c`.
    Program(&'a [u8]),
    /// `&address` or a line starting with any other character: forward.
    Forward(&'a [u8]),
    /// `+list`: forward-only mode for the rest of the file.
    ForwardOnly,
    /// Any other `+…` line.
    Ignored,
}

/// Parse one line, without its newline. Trailing spaces and tabs are not part of the
/// instruction; a NUL ends it, as it ends a C string in qmail.
pub fn parse_line(line: &[u8]) -> Instruction<'_> {
    let end = line
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(0, |p| p.saturating_add(1));
    let line = line.get(..end).unwrap_or(line);
    let Some(&first) = line.first() else {
        return Instruction::Blank;
    };
    let line = match memchr::memchr(0, line) {
        Some(nul) => line.get(..nul).unwrap_or(line),
        None => line,
    };
    let rest = line.get(1..).unwrap_or(b"");
    match first {
        b'#' => Instruction::Comment,
        b'.' | b'/' => {
            if line.last() == Some(&b'/') {
                Instruction::Maildir(line)
            } else {
                Instruction::Mbox(line)
            }
        }
        b'|' => Instruction::Program(rest),
        b'&' => Instruction::Forward(rest),
        b'+' if rest == b"list" => Instruction::ForwardOnly,
        b'+' => Instruction::Ignored,
        _ => Instruction::Forward(line),
    }
}

/// The lines of a file's contents; a missing final newline is supplied.
pub fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    let empty = text.is_empty();
    body.split(|&b| b == b'\n').filter(move |_| !empty)
}

pub use qmail_core::dotqmail::{candidates, safe_ext, Candidate};

#[cfg(test)]
mod tests {
    use super::*;
    use Instruction::*;

    #[test]
    fn line_kinds() {
        assert_eq!(parse_line(b""), Blank);
        assert_eq!(parse_line(b" \t "), Blank);
        assert_eq!(parse_line(b"# hi"), Comment);
        assert_eq!(parse_line(b"./Maildir/"), Maildir(b"./Maildir/"));
        assert_eq!(parse_line(b"/var/mail/joe/ \t"), Maildir(b"/var/mail/joe/"));
        assert_eq!(parse_line(b"./Mailbox"), Mbox(b"./Mailbox"));
        assert_eq!(
            parse_line(b"/var/spool/mail/joe  "),
            Mbox(b"/var/spool/mail/joe")
        );
        assert_eq!(
            parse_line(b"|preline procmail "),
            Program(b"preline procmail")
        );
        assert_eq!(parse_line(b"&joe@example.com"), Forward(b"joe@example.com"));
        assert_eq!(parse_line(b"joe@example.com"), Forward(b"joe@example.com"));
        assert_eq!(parse_line(b"&"), Forward(b""));
        assert_eq!(parse_line(b"+list"), ForwardOnly);
        assert_eq!(parse_line(b"+list "), ForwardOnly);
        assert_eq!(parse_line(b"+lists"), Ignored);
        assert_eq!(parse_line(b"+"), Ignored);
    }

    #[test]
    fn nul_ends_the_instruction() {
        assert_eq!(parse_line(b"|echo hi\0rm -rf"), Program(b"echo hi"));
        assert_eq!(parse_line(b"\0x"), Forward(b""));
        assert_eq!(parse_line(b"./box\0/"), Mbox(b"./box"));
    }

    #[test]
    fn only_trailing_white_space_is_removed() {
        assert_eq!(parse_line(b"| echo  a "), Program(b" echo  a"));
        assert_eq!(parse_line(b"  &x"), Forward(b"  &x"));
    }

    #[test]
    fn lines_add_missing_newline() {
        let v: Vec<&[u8]> = lines(b"a\nb").collect();
        assert_eq!(v, vec![&b"a"[..], &b"b"[..]]);
        let v: Vec<&[u8]> = lines(b"a\n\nb\n").collect();
        assert_eq!(v, vec![&b"a"[..], &b""[..], &b"b"[..]]);
        assert_eq!(lines(b"").count(), 0);
        assert_eq!(lines(b"\n").collect::<Vec<_>>(), vec![&b""[..]]);
    }

    fn names(dash: &str, ext: &str) -> Vec<String> {
        candidates(dash.as_bytes(), ext.as_bytes())
            .into_iter()
            .map(|c| String::from_utf8(c.name).unwrap())
            .collect()
    }

    #[test]
    fn search_order() {
        assert_eq!(names("-", "a"), [".qmail-a", ".qmail-default"]);
        assert_eq!(
            names("-", "a-b-c"),
            [
                ".qmail-a-b-c",
                ".qmail-a-b-default",
                ".qmail-a-default",
                ".qmail-default"
            ]
        );
        assert_eq!(
            names("-", "a-"),
            [".qmail-a-", ".qmail-a-default", ".qmail-default"]
        );
        assert_eq!(names("", ""), [".qmail", ".qmaildefault"]);
        assert_eq!(names("-", "Dot.Ted"), [".qmail-dot:ted", ".qmail-default"]);
        assert_eq!(names("-", ""), [".qmail-", ".qmail-default"]);
    }

    #[test]
    fn default_values() {
        let c = candidates(b"-", b"X-Y-Z");
        assert_eq!(c[0].default, None);
        assert_eq!(c[1].name, b".qmail-x-y-default");
        assert_eq!(c[1].default.as_deref(), Some(&b"Z"[..]));
        assert_eq!(c[2].default.as_deref(), Some(&b"Y-Z"[..]));
        assert_eq!(c[3].default.as_deref(), Some(&b"X-Y-Z"[..]));
        let c = candidates(b"-", b"a-");
        assert_eq!(c[1].default.as_deref(), Some(&b""[..]));
        // the exact file for an address ending in "default" sets DEFAULT to that word
        let c = candidates(b"-", b"list-DEFAULT");
        assert_eq!(c[0].name, b".qmail-list-default");
        assert_eq!(c[0].default.as_deref(), Some(&b"DEFAULT"[..]));
    }
}
