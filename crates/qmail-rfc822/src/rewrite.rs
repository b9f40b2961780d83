//! Address completion (qmail-inject's rwgeneric), on an address in *reverse* token order
//! as `addrlist` hands it over (index 0 is the last token of the domain):
//! 1. `<>` and `<x@[]>` are left alone;
//! 2. a source route `@a,@b:` is removed, then a trailing `.` and a trailing `@`
//!    (`<@foo:>`, `<.>`, `<@>` become `<>`);
//! 3. no `@` → `@defaulthost` is appended;
//! 4. a domain ending in `+` loses the `+` and gets `.plusdomain`;
//! 5. a domain without a dot (and not a literal) gets `.defaultdomain`.
//!
//! Steps 4 and 5 also apply to a defaulthost appended in step 3.
use crate::token822::{self, Kind, Token};

/// The three completions, tokenized once (`@defaulthost`, `.defaultdomain`, `.plusdomain`).
#[derive(Clone, Debug)]
pub struct Domains {
    pub defaulthost: Vec<Token>,
    pub defaultdomain: Vec<Token>,
    pub plusdomain: Vec<Token>,
}

/// A control value that does not tokenize: qmail-inject refuses to run with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadControl(pub Vec<u8>);

fn tokens(prefix: u8, value: &[u8]) -> Result<Vec<Token>, BadControl> {
    let mut line = vec![prefix];
    line.extend_from_slice(value);
    token822::parse(&line).ok_or(BadControl(line))
}

impl Domains {
    pub fn new(
        defaulthost: &[u8],
        defaultdomain: &[u8],
        plusdomain: &[u8],
    ) -> Result<Domains, BadControl> {
        Ok(Domains {
            defaultdomain: tokens(b'.', defaultdomain)?,
            defaulthost: tokens(b'@', defaulthost)?,
            plusdomain: tokens(b'.', plusdomain)?,
        })
    }
}

/// Put `suffix` (in forward order) after the end of a reversed address.
fn append_reversed(addr: &mut Vec<Token>, suffix: &[Token]) {
    let mut head: Vec<Token> = suffix.iter().rev().cloned().collect();
    head.append(addr);
    *addr = head;
}

fn kind_at(addr: &[Token], i: usize) -> Option<Kind> {
    addr.get(i).map(|t| t.kind)
}

fn rwroute(addr: &mut Vec<Token>) {
    if addr.last().map(|t| t.kind) == Some(Kind::At) {
        while let Some(t) = addr.pop() {
            if t.kind == Kind::Colon {
                return;
            }
        }
    }
}

fn rwextra(addr: &mut Vec<Token>, kind: Kind) {
    if kind_at(addr, 0) == Some(kind) {
        addr.remove(0);
    }
}

fn rwnoat(addr: &mut Vec<Token>, d: &Domains) {
    if !addr.iter().any(|t| t.kind == Kind::At) {
        append_reversed(addr, &d.defaulthost);
    }
}

fn rwplus(addr: &mut Vec<Token>, d: &Domains) {
    let Some(t) = addr.first_mut() else { return };
    if t.kind != Kind::Atom || t.s.last() != Some(&b'+') {
        return;
    }
    t.s.pop();
    append_reversed(addr, &d.plusdomain);
}

fn rwnodot(addr: &mut Vec<Token>, d: &Domains) {
    let domain = addr.iter().take_while(|t| t.kind != Kind::At);
    for t in domain {
        if t.kind == Kind::Dot || t.kind == Kind::Literal {
            return;
        }
    }
    append_reversed(addr, &d.defaultdomain);
}

/// Complete one address (reverse token order), in place.
pub fn rwgeneric(addr: &mut Vec<Token>, d: &Domains) {
    if addr.is_empty() {
        return;
    }
    if kind_at(addr, 1) == Some(Kind::At)
        && addr
            .first()
            .is_some_and(|t| t.kind == Kind::Literal && t.s.is_empty())
    {
        return;
    }
    rwroute(addr);
    if addr.is_empty() {
        return;
    }
    rwextra(addr, Kind::Dot);
    if addr.is_empty() {
        return;
    }
    rwextra(addr, Kind::At);
    if addr.is_empty() {
        return;
    }
    rwnoat(addr, d);
    rwplus(addr, d);
    rwnodot(addr, d);
}

/// The envelope form of a reversed address.
pub fn envelope_form(addr: &[Token]) -> Vec<u8> {
    let fwd: Vec<Token> = addr.iter().rev().cloned().collect();
    token822::unquote(&fwd)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(a: &str) -> String {
        let d = Domains::new(b"host.example", b"example", b"plus.example").unwrap();
        let mut t = token822::parse(a.as_bytes()).unwrap();
        t.reverse();
        rwgeneric(&mut t, &d);
        String::from_utf8(envelope_form(&t)).unwrap()
    }

    #[test]
    fn completion_rules() {
        assert_eq!(rw("joe"), "joe@host.example");
        assert_eq!(rw("joe@mammoth"), "joe@mammoth.example");
        assert_eq!(rw("eric@mammoth.cs+"), "eric@mammoth.cs.plus.example");
        assert_eq!(rw("joe@x.y"), "joe@x.y");
        assert_eq!(rw("joe@[1.2.3.4]"), "joe@[1.2.3.4]");
        assert_eq!(rw("@a,@b:joe@x.y"), "joe@x.y");
        assert_eq!(rw("joe@x.y."), "joe@x.y");
        assert_eq!(rw("joe@"), "joe@host.example");
        assert_eq!(rw("@foo:"), "");
        assert_eq!(rw("."), "");
        assert_eq!(rw("@"), "");
        assert_eq!(rw("x@[]"), "x@[]");
        assert_eq!(rw(""), "");
    }

    #[test]
    fn defaulthost_is_completed_too() {
        let d = Domains::new(b"foo", b"dd.example", b"pd.example").unwrap();
        let mut t = token822::parse(b"joe").unwrap();
        rwgeneric(&mut t, &d);
        assert_eq!(envelope_form(&t), b"joe@foo.dd.example");
        let d = Domains::new(b"foo+", b"dd.example", b"pd.example").unwrap();
        let mut t = token822::parse(b"joe").unwrap();
        rwgeneric(&mut t, &d);
        assert_eq!(envelope_form(&t), b"joe@foo.pd.example");
    }

    #[test]
    fn bad_control() {
        assert!(Domains::new(b"a)b", b"x", b"y").is_ok());
        assert_eq!(
            Domains::new(b"x", b")", b"y").unwrap_err(),
            BadControl(b".)".to_vec())
        );
    }
}
