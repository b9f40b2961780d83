use super::*;
use proptest::prelude::*;

#[test]
fn lines() {
    assert_eq!(Reply::parse(b"F\n"), Ok(Reply::Unavailable));
    assert_eq!(
        Reply::parse(b"T16 TLSv1.3 TLS13_AES_256_GCM_SHA384\n"),
        Ok(Reply::Tls {
            discard: 16,
            version: "TLSv1.3".into(),
            cipher: "TLS13_AES_256_GCM_SHA384".into()
        })
    );
    for bad in [
        &b""[..],
        b"F",
        b"F \n",
        b"T\n",
        b"T1 a\n",
        b"T1 a b c\n",
        b"T a b\n",
        b"T-1 a b\n",
        b"T1  a b\n",
        b"T1 a b \n",
        b"T1 a\tb c\n",
        b"T1 a b\r\n",
        b"T99999999999999999999 a b\n",
        b"T1 a<b c\n",
        b"X\n",
        b"T01 a b\n",
    ] {
        assert_eq!(Reply::parse(bad), Err(BadReply), "{bad:?}");
    }
    let long = format!("T1 {} c\n", "v".repeat(65));
    assert_eq!(Reply::parse(long.as_bytes()), Err(BadReply));
    assert_eq!(
        Reply::parse(b"T18446744073709551615 a b\n").map(|_| ()),
        Ok(())
    );
}

proptest! {
    #[test]
    fn round_trip(discard: u64, v in "[A-Za-z0-9_.-]{1,64}", c in "[A-Za-z0-9_.-]{1,64}") {
        let r = Reply::Tls { discard, version: v, cipher: c };
        prop_assert_eq!(Reply::parse(&r.format()), Ok(r));
    }

    #[test]
    fn never_panics(line in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(r) = Reply::parse(&line) {
            prop_assert_eq!(r.format(), line);
        }
    }
}
