//! Tests for token822: tokenizing, printing with folding, and unquoting.

use super::*;

fn kinds(s: &[u8]) -> Vec<Kind> {
    parse(s).unwrap().iter().map(|t| t.kind).collect()
}

#[test]
fn tokenizes_specials_and_words() {
    use Kind::*;
    assert_eq!(
        kinds(b"To: \"a b\" <x.y@[1.2.3.4]> (c (nested) d),;"),
        vec![Atom, Colon, Quote, Left, Atom, Dot, Atom, At, Literal, Right, Comment, Comma, Semi]
    );
    let t = parse(b"(c (nested) d)").unwrap();
    assert_eq!(t[0].s, b"c nested d"); // nested parentheses are dropped
    let t = parse(b"\"q\\\"x\"").unwrap();
    assert_eq!(t[0].s, b"q\"x");
}

#[test]
fn failures() {
    assert!(parse(b"a )").is_none());
    assert!(parse(b"]").is_none());
    assert!(parse(b"\"open").is_none());
    assert!(parse(b"(open (x)").is_none());
    assert!(parse(b"[1.2").is_none());
    assert!(parse(b"\"x\\").is_none());
    // inside an atom a ')' is just a byte, and makes the atom print quoted
    let t = parse(b"a)b").unwrap();
    assert_eq!(t, vec![Token::text(Kind::Quote, b"a)b")]);
}

#[test]
fn atom_escapes_and_eight_bit() {
    let t = parse(b"a\\ b").unwrap();
    assert_eq!(t, vec![Token::text(Kind::Quote, b"a b")]);
    let t = parse(b"gr\xfc\xdf").unwrap();
    assert_eq!(t[0].kind, Kind::Quote);
    assert_eq!(parse(b"\\").unwrap(), vec![Token::text(Kind::Quote, b"")]);
}

#[test]
fn unparse_spacing_and_escapes() {
    let t = parse(b"To:a@b,c@d").unwrap();
    assert_eq!(unparse(&t, 80), b"To: a@b, c@d\n");
    let t = vec![
        Token::text(Kind::Quote, b"Q \"me\" (x)"),
        Token::punct(Kind::Left),
        Token::text(Kind::Atom, b"u"),
        Token::punct(Kind::Right),
    ];
    assert_eq!(unparse(&t, 80), b"\"Q \\\"me\\\" \\(x\\)\" <u>\n");
    assert_eq!(unparse(&[], 80), b"\n");
}

#[test]
fn folding_at_80() {
    let mut s = b"To: ".to_vec();
    for i in 0..10 {
        s.extend_from_slice(format!("address{i}@example.org, ").as_bytes());
    }
    s.truncate(s.len() - 2);
    let out = unparse(&parse(&s).unwrap(), 80);
    let text = String::from_utf8(out).unwrap();
    for line in text.lines() {
        assert!(line.len() <= 80, "{line:?}");
    }
    assert!(text.contains(",\n  address"));
    assert_eq!(
        text.replace(",\n  ", ", "),
        String::from_utf8(s).unwrap() + "\n"
    );
}

#[test]
fn unquote_drops_comments() {
    let t = parse(b"\"a b\"(c)@[1.2.3.4]").unwrap();
    assert_eq!(unquote(&t), b"a b@[1.2.3.4]");
}
