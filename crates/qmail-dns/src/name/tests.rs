use super::*;

#[test]
fn text_round_trip() {
    let n = Name::from_text(b"Mail.Example.ORG").unwrap();
    assert_eq!(n.wire(), b"\x04Mail\x07Example\x03ORG\x00");
    assert_eq!(n.to_text(), b"Mail.Example.ORG");
    assert!(n.eq_ignore_case(&Name::from_text(b"mail.example.org.").unwrap()));
    assert!(!n.eq_ignore_case(&Name::from_text(b"mail.example.or").unwrap()));
    let odd = Name::from_text(b"a\\.b\\032c\\\\.d").unwrap();
    assert_eq!(odd.wire(), b"\x06a.b c\\\x01d\x00");
    assert_eq!(odd.to_text(), b"a\\.b\\032c\\\\.d");
    assert_eq!(Name::from_text(b".").unwrap().to_text(), b".");
}

#[test]
fn text_errors() {
    assert_eq!(Name::from_text(b""), Err(NameError::EmptyLabel));
    assert_eq!(Name::from_text(b"a..b"), Err(NameError::EmptyLabel));
    assert_eq!(Name::from_text(b".a"), Err(NameError::EmptyLabel));
    assert_eq!(Name::from_text(b"a.."), Err(NameError::EmptyLabel));
    assert_eq!(Name::from_text(&[b'x'; 64]), Err(NameError::LongLabel));
    assert!(Name::from_text(&[b'x'; 63]).is_ok());
    let long: Vec<u8> = (0..64).flat_map(|_| *b"abc.").collect();
    assert_eq!(Name::from_text(&long), Err(NameError::LongName));
    assert_eq!(Name::from_text(b"a\\25"), Err(NameError::BadEscape));
    assert_eq!(Name::from_text(b"a\\256"), Err(NameError::BadEscape));
    assert_eq!(Name::from_text(b"a\\"), Err(NameError::BadEscape));
}

#[test]
fn decode_compressed() {
    // "example.org" at 12, "mx.<ptr 12>" at 25.
    let mut p = vec![0u8; 12];
    p.extend_from_slice(b"\x07example\x03org\x00");
    p.extend_from_slice(b"\x02mx\xc0\x0c");
    let (n, end) = Name::decode(&p, 25).unwrap();
    assert_eq!(n.to_text(), b"mx.example.org");
    assert_eq!(end, p.len());
    let (n, end) = Name::decode(&p, 12).unwrap();
    assert_eq!(n.to_text(), b"example.org");
    assert_eq!(end, 25);
}

#[test]
fn decode_hostile() {
    // A pointer to itself, a forward pointer, a two-pointer loop.
    let mut p = vec![0u8; 12];
    p.extend_from_slice(b"\xc0\x0c");
    assert_eq!(Name::decode(&p, 12), Err(NameError::BadPointer));
    let p2 = [&[0u8; 12][..], b"\xc0\x0e\x00"].concat();
    assert_eq!(Name::decode(&p2, 12), Err(NameError::BadPointer));
    let p3 = [&[0u8; 12][..], b"\x01a\xc0\x10\x01b\xc0\x0c"].concat();
    // decoding at 16 ("b" -> 12 "a" -> 16): the second pointer is not below 12.
    assert_eq!(Name::decode(&p3, 16), Err(NameError::BadPointer));
    // Label running past the end, pointer cut in half, reserved label types.
    assert_eq!(Name::decode(b"\x05ab", 0), Err(NameError::Truncated));
    assert_eq!(Name::decode(b"\x01a\xc0", 0), Err(NameError::Truncated));
    assert_eq!(Name::decode(b"\x41a\x00", 0), Err(NameError::LabelType));
    assert_eq!(Name::decode(b"\x81a\x00", 0), Err(NameError::LabelType));
    assert_eq!(Name::decode(b"", 0), Err(NameError::Truncated));
    // A name made long through pointers: 5 copies of a 63-byte label.
    let mut q = Vec::new();
    q.push(63);
    q.extend_from_slice(&[b'a'; 63]);
    q.push(0);
    for i in 0..5u16 {
        let prev = if i == 0 { 0 } else { 65 + 66 * (i - 1) };
        q.push(63);
        q.extend_from_slice(&[b'b'; 63]);
        q.extend_from_slice(&(0xc000 | prev).to_be_bytes());
    }
    assert_eq!(Name::decode(&q, 65 + 66 * 4), Err(NameError::LongName));
    assert!(Name::decode(&q, 65).is_ok());
}

#[test]
fn reverse_names() {
    let v4 = Name::reverse("192.0.2.7".parse().unwrap());
    assert_eq!(v4.to_text(), b"7.2.0.192.in-addr.arpa");
    let v6 = Name::reverse("2001:db8::1".parse().unwrap());
    assert_eq!(
        v6.to_text(),
        b"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa".to_vec()
    );
}
