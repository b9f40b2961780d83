//! token822_addrlist: walk an address-list header field and hand every address to a
//! rewriting callback, keeping phrases, comments, groups and punctuation around it.
//!
//! RFC 822 address lists are easiest to parse from right to left, so the walk goes
//! backwards: an address is collected in *reverse* token order and the callback sees
//! it that way (the rewriting in `rewrite` relies on it: index 0 is the end of the
//! domain). Bare words separated only by white space become separate addresses
//! (`djb fred` prints as `djb, fred`). The first two tokens (field name and colon) are
//! copied unchanged.
use crate::token822::{Kind, Token};

/// The field is not an address list qmail can make sense of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseError;

struct Walk<'c> {
    out: Vec<Token>,
    addr: Vec<Token>,
    cb: &'c mut dyn FnMut(&mut Vec<Token>),
}

impl Walk<'_> {
    fn got(&mut self) {
        (self.cb)(&mut self.addr);
        self.out.append(&mut self.addr);
    }
    fn flush(&mut self) {
        if !self.addr.is_empty() {
            self.got();
        }
    }
    fn flush_comma(&mut self) {
        if !self.addr.is_empty() {
            self.got();
            self.out.push(Token::punct(Kind::Comma));
        }
    }
}

/// Rewrite every address of the field `ta` (tokens of `Name: list`) with `cb`, and return
/// the field's new tokens. The callback may already have run for some addresses when a
/// ParseError is returned (qmail-inject depends on that order of events).
pub fn addrlist(
    ta: &[Token],
    cb: &mut dyn FnMut(&mut Vec<Token>),
) -> Result<Vec<Token>, ParseError> {
    let beg = ta.len().min(2);
    let mut w = Walk {
        out: Vec::new(),
        addr: Vec::new(),
        cb,
    };
    let mut ingroup = false;
    let mut wordok = true;
    // tokens ta[beg..i] are still to be read; the current one is ta[i - 1]
    let mut i = ta.len();
    let at = |i: usize| ta.get(i.wrapping_sub(1)).cloned();
    while i > beg {
        let Some(t) = at(i) else { break };
        match t.kind {
            Kind::Semi => {
                w.flush_comma();
                if ingroup {
                    return Err(ParseError);
                }
                ingroup = true;
                wordok = true;
                w.out.push(t);
                i -= 1;
            }
            Kind::Colon => {
                w.flush();
                if !ingroup {
                    return Err(ParseError);
                }
                ingroup = false;
                while i > beg {
                    match at(i) {
                        Some(x) if x.kind != Kind::Comma => w.out.push(x),
                        _ => break,
                    }
                    i -= 1;
                }
                if i > beg {
                    if let Some(x) = at(i) {
                        w.out.push(x);
                    }
                    i -= 1;
                }
                wordok = true;
            }
            Kind::Right => {
                w.flush_comma();
                w.out.push(t);
                i -= 1;
                while i > beg {
                    match at(i) {
                        Some(x) if x.kind != Kind::Left => w.addr.push(x),
                        _ => break,
                    }
                    i -= 1;
                }
                // the address is used even when empty: <>
                w.got();
                if i <= beg {
                    return Err(ParseError);
                }
                if let Some(x) = at(i) {
                    w.out.push(x);
                }
                i -= 1;
                while i > beg {
                    match at(i) {
                        Some(x)
                            if matches!(
                                x.kind,
                                Kind::Comment | Kind::Atom | Kind::Quote | Kind::At | Kind::Dot
                            ) =>
                        {
                            w.out.push(x)
                        }
                        _ => break,
                    }
                    i -= 1;
                }
                wordok = false;
            }
            Kind::Atom | Kind::Quote | Kind::Literal => {
                if !wordok {
                    w.flush_comma();
                }
                wordok = false;
                w.addr.push(t);
                i -= 1;
            }
            // a comment is lexically white space: it does not end a word
            Kind::Comment => {
                w.out.push(t);
                i -= 1;
            }
            Kind::Comma => {
                w.flush();
                wordok = true;
                w.out.push(t);
                i -= 1;
            }
            Kind::At | Kind::Dot | Kind::Left => {
                wordok = true;
                w.addr.push(t);
                i -= 1;
            }
        }
    }
    w.flush();
    for j in (0..beg).rev() {
        if let Some(x) = ta.get(j) {
            w.out.push(x.clone());
        }
    }
    w.out.reverse();
    Ok(w.out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token822::{parse, unparse, unquote};

    fn run(field: &[u8]) -> (Result<Vec<u8>, ParseError>, Vec<Vec<u8>>) {
        let ta = parse(field).unwrap();
        let mut seen = Vec::new();
        let r = addrlist(&ta, &mut |a: &mut Vec<Token>| {
            let mut f = a.clone();
            f.reverse();
            seen.push(unquote(&f));
        });
        (r.map(|t| unparse(&t, 80)), seen)
    }

    #[test]
    fn right_to_left_and_phrases() {
        let (out, seen) = run(b"To: Joe <joe@x.y>, \"A B\" <ab@x.y> (c), z@x.y\n");
        // no space between `>` and a comment: qmail prints it that way
        assert_eq!(
            out.unwrap(),
            b"To: Joe <joe@x.y>, \"A B\" <ab@x.y>(c), z@x.y\n"
        );
        assert_eq!(
            seen,
            vec![b"z@x.y".to_vec(), b"ab@x.y".to_vec(), b"joe@x.y".to_vec()]
        );
    }

    #[test]
    fn bare_words_get_commas() {
        let (out, seen) = run(b"To: djb fred\n");
        assert_eq!(out.unwrap(), b"To: djb, fred\n");
        assert_eq!(seen.len(), 2);
    }

    #[test]
    fn groups() {
        let (out, seen) = run(b"To: friends: a@b, c@d;, e@f\n");
        assert_eq!(out.unwrap(), b"To: friends: a@b, c@d;, e@f\n");
        assert_eq!(seen.len(), 3);
        assert_eq!(run(b"To: a@b;\n").0, Ok(b"To: a@b;\n".to_vec()));
        assert_eq!(run(b"To: a: b;;\n").0, Err(ParseError));
        assert_eq!(run(b"To: a:b\n").0, Err(ParseError));
    }

    #[test]
    fn unbalanced_angle_fails_after_callback() {
        let (out, seen) = run(b"To: a@b>\n");
        assert_eq!(out, Err(ParseError));
        assert_eq!(seen, vec![b"a@b".to_vec()]);
    }

    #[test]
    fn empty_and_short() {
        assert_eq!(run(b"To:\n").0.unwrap(), b"To:\n");
        assert_eq!(run(b"To: <>\n").0.unwrap(), b"To: <>\n");
        let r = addrlist(&[], &mut |_a: &mut Vec<Token>| {});
        assert_eq!(r, Ok(vec![]));
    }
}
