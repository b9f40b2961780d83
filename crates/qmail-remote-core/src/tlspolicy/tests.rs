use super::*;
use proptest::prelude::*;

fn lines(text: &str) -> Vec<Vec<u8>> {
    text.lines().map(|l| l.as_bytes().to_vec()).collect()
}

fn verified(cafile: Option<&str>) -> Level {
    Level::Verified {
        cafile: cafile.map(|c| c.as_bytes().to_vec()),
    }
}

#[test]
fn entries_and_lookup_order() {
    let p = parse(&lines(
        "# policy\n\nbank.example:/etc/bank-ca.pem\n=.corp.example::HIGH:25\n-old.example\n!older.example:x\nSmart.Example:\n",
    ))
    .unwrap();
    let l = |names: &[&str]| {
        let v: Vec<&[u8]> = names.iter().map(|n| n.as_bytes()).collect();
        p.lookup(&v)
    };
    assert_eq!(l(&["bank.example"]), verified(Some("/etc/bank-ca.pem")));
    assert_eq!(l(&["BANK.example"]), verified(Some("/etc/bank-ca.pem")));
    // An exact name does not cover subdomains; `.suffix` does, and not the bare domain.
    assert_eq!(l(&["mx.bank.example"]), Level::Opportunistic);
    assert_eq!(l(&["mx.corp.example"]), verified(None));
    assert_eq!(l(&["corp.example"]), Level::Opportunistic);
    assert_eq!(l(&["old.example"]), Level::Never);
    assert_eq!(l(&["older.example"]), Level::Never);
    // The smarthost's entry comes before the domain's.
    assert_eq!(l(&["smart.example", "old.example"]), verified(None));
    assert_eq!(l(&["other.example", "old.example"]), Level::Never);
    assert_eq!(l(&[]), Level::Opportunistic);
}

#[test]
fn default_and_last_line_wins() {
    let p = parse(&lines("*:\n-a.example\na.example:/ca\n")).unwrap();
    assert_eq!(p.lookup(&[b"a.example"]), verified(Some("/ca")));
    assert_eq!(p.lookup(&[b"b.example"]), verified(None));
}

#[test]
fn bad_lines_refuse_the_file() {
    for (text, n) in [
        ("a.example", 1),          // no cafile field
        ("ok.example:\nb c:x", 2), // space in host
        (":cafile", 1),            // no host
        ("-", 1),
        ("a.example:ca:c:99999", 1), // port out of range
        ("a.example:ca:c:2x", 1),
        ("a.example:ca:c:25:extra", 1),
        ("a.example:ca file", 1), // blank in the path
        ("h\u{e9}.example:", 1),  // 8-bit
        ("-*", 1),
    ] {
        assert_eq!(parse(&lines(text)), Err(BadLine(n)), "{text}");
    }
    assert!(parse(&lines("a.example:ca:c:65535")).is_ok());
    assert!(parse(&[b"a.example:x\0".to_vec()]).is_err());
}

proptest! {
    #[test]
    fn never_panics(data in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..8),
                    name in proptest::collection::vec(any::<u8>(), 0..30)) {
        if let Ok(p) = parse(&data) {
            let _ = p.lookup(&[&name]);
        }
    }

    /// A name listed with `host:` is verified whatever else the file says about other
    /// names, and a later line for the same name replaces it.
    #[test]
    fn listed_name_is_verified(host in "[a-z][a-z0-9-]{0,10}\\.example",
                               others in proptest::collection::vec("[a-z]{1,8}\\.test", 0..5)) {
        let mut text = format!("{host}:\n");
        for o in &others {
            text.push_str(&format!("-{o}\n"));
        }
        let p = parse(&lines(&text)).unwrap();
        prop_assert_eq!(p.lookup(&[host.to_uppercase().as_bytes()]), verified(None));
        text.push_str(&format!("-{host}\n"));
        let p = parse(&lines(&text)).unwrap();
        prop_assert_eq!(p.lookup(&[host.as_bytes()]), Level::Never);
    }
}
