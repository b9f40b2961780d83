//! token822: RFC 822 lexical tokens as qmail sees them, the tokenizer, the printer
//! (with qmail's folding at commas) and `unquote` (the envelope form of an address).
//!
//! The tokenizer is qmail's, not a strict RFC 5322 one: it accepts 8-bit bytes and control
//! characters in atoms (the printer then quotes them), fails only on a top-level `)` or `]`
//! and on an unterminated comment, quoted string or domain literal, and treats CR, LF,
//! space and tab as white space anywhere (so folded fields tokenize as one).

/// The kind of a token. Punctuation kinds carry no text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Comma,
    At,
    Dot,
    Left,
    Right,
    Semi,
    Colon,
    Atom,
    Quote,
    Literal,
    Comment,
}

/// One token. For Atom, Quote, Literal and Comment `s` is the unescaped content (without
/// the surrounding quotes, brackets or parentheses); it is empty for punctuation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub s: Vec<u8>,
}

impl Token {
    pub fn punct(kind: Kind) -> Token {
        Token {
            kind,
            s: Vec::new(),
        }
    }
    pub fn text(kind: Kind, s: &[u8]) -> Token {
        Token {
            kind,
            s: s.to_vec(),
        }
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// A byte that may continue an atom.
fn atomok(c: u8) -> bool {
    !matches!(
        c,
        b' ' | b'\t'
            | b'\r'
            | b'\n'
            | b'('
            | b'['
            | b'"'
            | b'<'
            | b'>'
            | b';'
            | b':'
            | b'@'
            | b','
            | b'.'
    )
}

/// An atom holding bytes that cannot be printed bare becomes a quoted string. qmail
/// checks only controls, 8-bit bytes, `)`, `]` and `\\`; qmail-rs also quotes an atom that
/// holds a backslash-escaped special or space (`a\\,b`) or is empty, so that printing and
/// reading back gives the same tokens (qmail would print `a,b`, two addresses).
fn atomcheck(t: &mut Token) {
    if t.s.is_empty()
        || t.s.iter().any(|&c| {
            !(32..=126).contains(&c) || c == b')' || c == b']' || c == b'\\' || !atomok(c)
        })
    {
        t.kind = Kind::Quote;
    }
}

/// Read a delimited token body starting after its opening byte at `i`. Returns the
/// content and the index of the closing byte, or None when it never closes.
fn delimited(sa: &[u8], mut i: usize, open: Option<u8>, close: u8) -> Option<(Vec<u8>, usize)> {
    let mut level = 1u32;
    let mut out = Vec::new();
    loop {
        i = i.checked_add(1)?;
        let c = *sa.get(i)?;
        if Some(c) == open {
            level = level.checked_add(1)?;
        } else if c == close {
            level -= 1;
            if level == 0 {
                return Some((out, i));
            }
            continue;
        }
        if Some(c) == open {
            continue;
        }
        if c == b'\\' {
            i = i.checked_add(1)?;
            out.push(*sa.get(i)?);
        } else {
            out.push(c);
        }
    }
}

/// Tokenize a header field (or any address text). None means "cannot parse".
pub fn parse(sa: &[u8]) -> Option<Vec<Token>> {
    let mut ta = Vec::new();
    let mut i = 0usize;
    while let Some(&c) = sa.get(i) {
        let kind = match c {
            b'.' => Some(Kind::Dot),
            b',' => Some(Kind::Comma),
            b'@' => Some(Kind::At),
            b'<' => Some(Kind::Left),
            b'>' => Some(Kind::Right),
            b':' => Some(Kind::Colon),
            b';' => Some(Kind::Semi),
            _ => None,
        };
        if let Some(k) = kind {
            ta.push(Token::punct(k));
            i += 1;
            continue;
        }
        match c {
            _ if is_space(c) => i += 1,
            b')' | b']' => return None,
            b'(' | b'"' | b'[' => {
                let (kind, open, close) = match c {
                    b'(' => (Kind::Comment, Some(b'('), b')'),
                    b'"' => (Kind::Quote, None, b'"'),
                    _ => (Kind::Literal, None, b']'),
                };
                let (s, end) = delimited(sa, i, open, close)?;
                ta.push(Token { kind, s });
                i = end.checked_add(1)?;
            }
            _ => {
                let mut t = Token::punct(Kind::Atom);
                loop {
                    if sa.get(i) == Some(&b'\\') {
                        i += 1;
                        if i >= sa.len() {
                            break;
                        }
                    }
                    if let Some(&b) = sa.get(i) {
                        t.s.push(b);
                    }
                    i += 1;
                    match sa.get(i) {
                        Some(&n) if atomok(n) => {}
                        _ => break,
                    }
                }
                atomcheck(&mut t);
                ta.push(t);
            }
        }
    }
    Some(ta)
}

/// Whether the printer puts a space between tokens of these kinds.
fn needspace(last: Option<Kind>, new: Kind) -> bool {
    use Kind::*;
    let Some(last) = last else { return false };
    if last == Colon || last == Comma || new == Left {
        return true;
    }
    matches!(last, Atom | Literal | Quote | Comment)
        && matches!(new, Atom | Literal | Quote | Comment)
}

/// The line folder: after every comma a tentative "\n " break is written; when the next
/// comma (or the end) shows that the text since the start of the line, tentative break
/// included, still fits in `linelen`, that previous break is taken out again. So a line is
/// broken only at commas, and a single long address still makes a long line.
struct Folder {
    linelen: usize,
    lineb: usize,
    linee: Option<usize>,
}

impl Folder {
    fn brk(&mut self, out: &mut Vec<u8>) {
        let s = out.len();
        match self.linee {
            Some(e) if self.linelen == 0 || s.saturating_sub(self.lineb) <= self.linelen => {
                out.drain(e..e.saturating_add(2).min(s));
                self.linee = Some(out.len());
            }
            other => {
                if let Some(e) = other {
                    self.lineb = e.saturating_add(1);
                }
                self.linee = Some(s);
            }
        }
        out.extend_from_slice(b"\n ");
    }
}

/// Print tokens as qmail does, folding after commas at `linelen` (0: never fold), and
/// end with a newline.
pub fn unparse(ta: &[Token], linelen: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut fold = Folder {
        linelen,
        lineb: 0,
        linee: None,
    };
    let mut last = None;
    for t in ta {
        if needspace(last, t.kind) {
            out.push(b' ');
        }
        last = Some(t.kind);
        let (open, close) = match t.kind {
            Kind::Comma => {
                out.push(b',');
                fold.brk(&mut out);
                continue;
            }
            Kind::At => (b'@', None),
            Kind::Dot => (b'.', None),
            Kind::Left => (b'<', None),
            Kind::Right => (b'>', None),
            Kind::Semi => (b';', None),
            Kind::Colon => (b':', None),
            Kind::Quote => (b'"', Some(b'"')),
            Kind::Literal => (b'[', Some(b']')),
            Kind::Comment => (b'(', Some(b')')),
            Kind::Atom => (0, None),
        };
        if t.kind != Kind::Atom {
            out.push(open);
            if close.is_none() {
                continue;
            }
        }
        for &c in &t.s {
            if matches!(c, b'"' | b'[' | b']' | b'(' | b')' | b'\\' | b'\r' | b'\n') {
                out.push(b'\\');
            }
            out.push(c);
        }
        if let Some(c) = close {
            out.push(c);
        }
    }
    fold.brk(&mut out);
    out.pop();
    out
}

/// The address as it goes into the envelope: token texts concatenated, literals in
/// brackets, quoting and comments dropped.
pub fn unquote(ta: &[Token]) -> Vec<u8> {
    let mut out = Vec::new();
    for t in ta {
        match t.kind {
            Kind::Comma => out.push(b','),
            Kind::At => out.push(b'@'),
            Kind::Dot => out.push(b'.'),
            Kind::Left => out.push(b'<'),
            Kind::Right => out.push(b'>'),
            Kind::Semi => out.push(b';'),
            Kind::Colon => out.push(b':'),
            Kind::Atom | Kind::Quote => out.extend_from_slice(&t.s),
            Kind::Literal => {
                out.push(b'[');
                out.extend_from_slice(&t.s);
                out.push(b']');
            }
            Kind::Comment => {}
        }
    }
    out
}

#[cfg(test)]
mod tests;
