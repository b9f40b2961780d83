//! Just enough RFC 822 to list the addresses of a header field's value: comments,
//! quoted strings, domain literals, phrases, `<route-addr>`s and groups. Each address
//! comes back unquoted (`"a b"@x` → `a b@x`), which is the form qreceipt compares.

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Atom(Vec<u8>),
    Quoted(Vec<u8>),
    Literal(Vec<u8>),
    Punct(u8),
}

const SPECIALS: &[u8] = b"<>@,;:.";

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Split the value into tokens; `None` for an unterminated comment, quote or literal.
fn tokens(v: &[u8]) -> Option<Vec<Tok>> {
    let mut out = Vec::new();
    let mut it = v.iter().copied().peekable();
    while let Some(c) = it.next() {
        match c {
            c if is_space(c) => {}
            b'(' => {
                let mut depth = 1usize;
                while depth > 0 {
                    match it.next()? {
                        b'\\' => {
                            it.next()?;
                        }
                        b'(' => depth = depth.checked_add(1)?,
                        b')' => depth -= 1,
                        _ => {}
                    }
                }
            }
            b'"' => {
                let mut s = Vec::new();
                loop {
                    match it.next()? {
                        b'\\' => s.push(it.next()?),
                        b'"' => break,
                        c => s.push(c),
                    }
                }
                out.push(Tok::Quoted(s));
            }
            b'[' => {
                let mut s = vec![b'['];
                loop {
                    match it.next()? {
                        b'\\' => s.push(it.next()?),
                        b']' => break,
                        c => s.push(c),
                    }
                }
                s.push(b']');
                out.push(Tok::Literal(s));
            }
            c if SPECIALS.contains(&c) => out.push(Tok::Punct(c)),
            c => {
                let mut s = vec![c];
                while let Some(&n) = it.peek() {
                    if is_space(n) || SPECIALS.contains(&n) || b"(\"[".contains(&n) {
                        break;
                    }
                    s.push(n);
                    it.next();
                }
                out.push(Tok::Atom(s));
            }
        }
    }
    Some(out)
}

fn unquote(ts: &[Tok]) -> Vec<u8> {
    let mut s = Vec::new();
    for t in ts {
        match t {
            Tok::Atom(a) | Tok::Quoted(a) | Tok::Literal(a) => s.extend_from_slice(a),
            Tok::Punct(p) => s.push(*p),
        }
    }
    s
}

/// A route-addr's inside without its source route (`@a,@b:`).
fn route_addr(ts: &[Tok]) -> Vec<u8> {
    if ts.first() == Some(&Tok::Punct(b'@')) {
        if let Some(i) = ts.iter().position(|t| *t == Tok::Punct(b':')) {
            return unquote(ts.get(i + 1..).unwrap_or_default());
        }
    }
    unquote(ts)
}

/// Every address in the value, or `None` when it cannot be parsed.
pub fn addresses(v: &[u8]) -> Option<Vec<Vec<u8>>> {
    let ts = tokens(v)?;
    let mut out = Vec::new();
    let mut cur: Vec<Tok> = Vec::new();
    let mut angle: Option<Vec<u8>> = None;
    let mut i = 0;
    let finish = |cur: &mut Vec<Tok>, angle: &mut Option<Vec<u8>>, out: &mut Vec<Vec<u8>>| {
        if let Some(a) = angle.take() {
            out.push(a);
        } else if !cur.is_empty() {
            out.push(unquote(cur));
        }
        cur.clear();
    };
    while let Some(t) = ts.get(i) {
        match t {
            Tok::Punct(b',') | Tok::Punct(b';') => finish(&mut cur, &mut angle, &mut out),
            // A group's display name: what came before is a phrase.
            Tok::Punct(b':') if angle.is_none() => cur.clear(),
            Tok::Punct(b'<') => {
                let rest = ts.get(i + 1..)?;
                let end = rest.iter().position(|t| *t == Tok::Punct(b'>'))?;
                angle = Some(route_addr(rest.get(..end)?));
                i += end + 1;
            }
            Tok::Punct(b'>') => return None,
            t => cur.push(t.clone()),
        }
        i += 1;
    }
    finish(&mut cur, &mut angle, &mut out);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(v: &str) -> Option<Vec<String>> {
        addresses(v.as_bytes()).map(|l| {
            l.into_iter()
                .map(|x| String::from_utf8(x).unwrap())
                .collect()
        })
    }

    #[test]
    fn forms() {
        assert_eq!(a(" joe@example.com\n").unwrap(), ["joe@example.com"]);
        assert_eq!(
            a(" Joe Q. <joe@example.com>, (c) ann @ example . org\n").unwrap(),
            ["joe@example.com", "ann@example.org"]
        );
        assert_eq!(a(" \"a b\"@x, <@r1,@r2:c@d>").unwrap(), ["a b@x", "c@d"]);
        assert_eq!(
            a(" friends: x@y, z@w; last@q").unwrap(),
            ["x@y", "z@w", "last@q"]
        );
        assert_eq!(a(" u@[1.2.3.4]").unwrap(), ["u@[1.2.3.4]"]);
        assert_eq!(a(" <>").unwrap(), [""]);
        assert_eq!(a("").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn unparsable() {
        assert!(a(" \"open").is_none());
        assert!(a(" (open").is_none());
        assert!(a(" <x@y").is_none());
        assert!(a(" x@y>").is_none());
    }

    /// Hostile header bytes never panic and never produce more addresses than bytes.
    #[test]
    fn arbitrary_input_is_safe() {
        let alphabet = b"<>@,;:.()\\\"[] \tab\n\x80";
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 24) as usize;
            let v: Vec<u8> = (0..len)
                .map(|i| alphabet[((x >> (i % 60)) as usize + i) % alphabet.len()])
                .collect();
            if let Some(l) = addresses(&v) {
                assert!(l.len() <= v.len() + 1, "{v:?}");
            }
        }
    }
}
