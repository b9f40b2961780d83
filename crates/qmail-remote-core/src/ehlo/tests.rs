use super::*;
use proptest::prelude::*;

#[test]
fn postfix_reply() {
    let e = parse(
        b"250-mx.example.org\n250-PIPELINING\n250-SIZE 10240000\n250-VRFY\n250-ETRN\n\
          250-STARTTLS\n250-ENHANCEDSTATUSCODES\n250-8BITMIME\n250-DSN\n250-SMTPUTF8\n250 CHUNKING\n",
    );
    assert_eq!(
        e,
        Extensions {
            starttls: true,
            pipelining: true,
            smtputf8: true,
            eightbitmime: true,
            size: true,
            size_limit: Some(10_240_000),
            auth_plain: false,
            auth_login: false,
        }
    );
}

#[test]
fn greeting_line_and_case() {
    // The first line is the server's name even when it looks like a keyword.
    assert_eq!(parse(b"250 STARTTLS\n"), Extensions::default());
    let e = parse(b"250-x\n250-starttls\n250-Auth login  Plain cram-md5\n250 size\n");
    assert!(e.starttls && e.auth_login && e.auth_plain && e.size);
    assert_eq!(e.size_limit, None);
    let e = parse(b"250-x\n250-AUTH=PLAIN LOGIN\n250 OK\n");
    assert!(e.auth_plain && e.auth_login);
}

#[test]
fn lies_and_garbage_count_for_nothing() {
    let none = Extensions::default();
    for text in [
        &b"250-x\n250-STARTTLS"[..],                  // cut: no newline
        b"250-x\n251-STARTTLS\n",                     // another code
        b"250-x\n250STARTTLS\n",                      // no separator
        b"250-x\n250-START\tTLS\n",                   // tab
        b"250-x\n250-STARTTLS\xff\n",                 // 8-bit
        b"250-x\n250-STARTTLS\0\n",                   // NUL
        b"250-x\n250--STARTTLS\n",                    // keyword starts with '-'
        b"250-x\n250-STARTTLSX\n",                    // another keyword
        b"250-x\n250-SIZE abc\n",                     // not a number
        b"250-x\n250-SIZE 12 34\n",                   // two parameters
        b"250-x\n250-SIZE 99999999999999999999999\n", // too big
        b"250-x\n250-SIZE -1\n",
        b"250-x\n250-\n",
        b"",
    ] {
        assert_eq!(parse(text), none, "{:?}", String::from_utf8_lossy(text));
    }
    // A good line after a bad one still counts.
    assert!(parse(b"250-x\n250-SIZE x\n250 STARTTLS\n").starttls);
}

#[test]
fn size_limits() {
    let e = parse(b"250-x\n250-SIZE 0\n250 OK\n");
    assert!(e.size);
    assert_eq!(e.size_limit, None);
    // Two SIZE lines: the smaller limit holds.
    let e = parse(b"250-x\n250-SIZE 5000\n250-SIZE 1000\n250 SIZE 0\n");
    assert_eq!(e.size_limit, Some(1000));
    let e = parse(b"250-x\n250 SIZE 18446744073709551615\n");
    assert_eq!(e.size_limit, Some(u64::MAX));
    let e = parse(b"250-x\n250 SIZE 18446744073709551616\n");
    assert!(!e.size);
}

#[test]
fn capped_text_drops_the_cut_line() {
    // reply::read keeps TEXT_MAX bytes: the line cut there must not count.
    // Bare LFs: the kept text is the raw bytes, so the cut falls inside the number.
    let want = crate::reply::TEXT_MAX - 12;
    let mut raw = b"250-x\n".to_vec();
    while raw.len() + 6 <= want {
        raw.extend_from_slice(b"250-X\n");
    }
    raw.truncate(raw.len() - 6);
    let pad = want - raw.len() - 6;
    raw.extend_from_slice(b"250-X");
    raw.extend(std::iter::repeat(b'Y').take(pad));
    raw.push(b'\n');
    assert_eq!(raw.len(), want);
    raw.extend_from_slice(b"250 SIZE 100000000\n");
    let mut src = crate::reply::SliceSource { data: &raw, pos: 0 };
    let r = crate::reply::read(&mut src).unwrap();
    assert_eq!(r.text.len(), crate::reply::TEXT_MAX);
    assert!(r.text.ends_with(b"\n250 SIZE 100"));
    let e = parse(&r.text);
    assert!(!e.size, "{e:?}");
}

fn line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"STARTTLS".to_vec()),
        Just(b"PIPELINING".to_vec()),
        Just(b"SIZE 1000".to_vec()),
        Just(b"AUTH PLAIN LOGIN".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..40),
    ]
}

proptest! {
    #[test]
    fn never_panics_on_any_bytes(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse(&data);
    }

    /// Adding lines never takes an extension away, and a line cut short adds nothing.
    #[test]
    fn lines_only_add(lines in proptest::collection::vec(line(), 0..8), cut in 0usize..40) {
        let mut text = b"250-name\n".to_vec();
        let mut before = parse(&text);
        for l in &lines {
            text.extend_from_slice(b"250-");
            text.extend_from_slice(l);
            text.push(b'\n');
            let now = parse(&text);
            prop_assert!(now.starttls >= before.starttls);
            prop_assert!(now.pipelining >= before.pipelining);
            prop_assert!(now.size >= before.size);
            prop_assert!(now.auth_plain >= before.auth_plain);
            if let (Some(a), Some(b)) = (before.size_limit, now.size_limit) {
                prop_assert!(b <= a);
            }
            before = now;
        }
        let mut cut_text = text.clone();
        cut_text.extend_from_slice(b"250 STARTTLS SMTPUTF8 SIZE 5");
        cut_text.truncate(text.len() + cut.min(28));
        prop_assert_eq!(parse(&cut_text), parse(&text));
    }

    /// The keyword's case does not matter.
    #[test]
    fn case_insensitive(mask in any::<u16>()) {
        let word: Vec<u8> = b"STARTTLS"
            .iter()
            .enumerate()
            .map(|(i, &b)| if mask & (1 << i) != 0 { b.to_ascii_lowercase() } else { b })
            .collect();
        let mut text = b"250-x\n250 ".to_vec();
        text.extend_from_slice(&word);
        text.push(b'\n');
        prop_assert!(parse(&text).starttls);
    }
}
