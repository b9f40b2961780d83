use super::*;

#[test]
fn base64() {
    assert_eq!(decode(b"").as_deref(), Some(&b""[..]));
    assert_eq!(decode(b"Zg==").as_deref(), Some(&b"f"[..]));
    assert_eq!(decode(b"Zm8=").as_deref(), Some(&b"fo"[..]));
    assert_eq!(decode(b"Zm9v").as_deref(), Some(&b"foo"[..]));
    assert_eq!(
        decode(b"AGFsaWNlAHNlY3JldA==").as_deref(),
        Some(&b"\0alice\0secret"[..])
    );
    for bad in [
        &b"Zg"[..],
        b"Zg=",
        b"Z===",
        b"Zh==",
        b"Zm9=",
        b"Zg==Zg==",
        b"Zm 9v",
        b"Zm9v\r",
        b"====",
        b"*",
    ] {
        assert_eq!(decode(bad), None, "{bad:?}");
    }
    let long = vec![b'A'; (RESPONSE_MAX / 3 + 2) * 4];
    assert_eq!(decode(&long), None);
}

#[test]
fn plain_responses() {
    assert_eq!(
        plain(b"\0alice\0pw"),
        Some((b"alice".to_vec(), b"pw".to_vec()))
    );
    assert_eq!(
        plain(b"alice\0alice\0pw"),
        Some((b"alice".to_vec(), b"pw".to_vec()))
    );
    assert_eq!(plain(b"bob\0alice\0pw"), None);
    assert_eq!(plain(b"\0alice\0"), None);
    assert_eq!(plain(b"\0\0pw"), None);
    assert_eq!(plain(b"alice\0pw"), None);
    assert_eq!(plain(b"\0alice\0p\0w"), None);
}

proptest::proptest! {
    #[test]
    fn decode_never_panics(s in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
        let _ = decode(&s);
        if let Some(p) = decode(&s) { let _ = plain(&p); }
    }
}
