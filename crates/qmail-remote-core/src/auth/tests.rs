use super::*;
use proptest::prelude::*;

fn lines(text: &str) -> Vec<Vec<u8>> {
    text.lines().map(|l| l.as_bytes().to_vec()).collect()
}

/// An independent decoder for the round trip.
fn unbase64(s: &[u8]) -> Vec<u8> {
    let val = |c: u8| ALPHABET.iter().position(|&a| a == c).map(|p| p as u32);
    let mut out = Vec::new();
    for q in s.chunks(4) {
        let v: Vec<Option<u32>> = q.iter().map(|&c| val(c)).collect();
        let n = v.iter().fold(0u32, |n, x| (n << 6) | x.unwrap_or(0));
        let pads = q.iter().filter(|&&c| c == b'=').count();
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pads]);
    }
    out
}

#[test]
fn rfc4648_vectors() {
    for (raw, enc) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64(raw.as_bytes()), enc.as_bytes());
    }
    let c = Credentials {
        user: b"tim".to_vec(),
        password: b"tanstaaftanstaaf".to_vec(),
    };
    // RFC 4616's example without an authorization identity.
    assert_eq!(plain(&c), b"AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
    assert!(!format!("{c:?}").contains("tanstaaf"));
}

#[test]
fn file_lookup() {
    let f = lines("# smarthosts\n\nSmart.Example|alice|s3cr|t\nother.example|bob|pw\nsmart.example|carol|new\n");
    let c = lookup(&f, b"smart.example").unwrap().unwrap();
    assert_eq!(
        (c.user.as_slice(), c.password.as_slice()),
        (&b"carol"[..], &b"new"[..])
    );
    let f = lines("smart.example|alice|s3cr|t\n");
    let c = lookup(&f, b"SMART.example").unwrap().unwrap();
    assert_eq!(c.password, b"s3cr|t");
    assert_eq!(lookup(&f, b"elsewhere").unwrap(), None);
    for (text, n) in [("a|b", 1), ("ok|u|p\n|u|p", 2), ("h||p", 1)] {
        assert_eq!(lookup(&lines(text), b"x"), Err(BadLine(n)), "{text}");
    }
    // An empty password is allowed (some relays authenticate by user alone).
    assert!(lookup(&lines("h|u|"), b"h").unwrap().is_some());
}

proptest! {
    #[test]
    fn base64_round_trips(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        let e = base64(&data);
        prop_assert_eq!(e.len(), data.len().div_ceil(3) * 4);
        prop_assert!(e.iter().all(|c| ALPHABET.contains(c) || *c == b'='));
        prop_assert_eq!(unbase64(&e), data);
    }
}
