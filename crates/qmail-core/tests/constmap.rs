//! ConstMap against a model: ASCII case-insensitive exact match, the
//! key of a `key:value` line ends at its first colon, and the LAST duplicate wins.
// Test helpers may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::panic)]

use proptest::prelude::*;
use qmail_core::constmap::ConstMap;
use qmail_core::control;

#[test]
fn virtualdomains_file_through_control_reader() {
    let dir = std::env::temp_dir().join(format!("qmail-core-it-constmap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("virtualdomains");
    std::fs::write(
        &p,
        b"# virtual domains\r\nExample.COM:joe\n.example.net:net \nexample.com:mary\r\nnocolon\n",
    )
    .unwrap();
    let lines = control::readfile(&p).unwrap().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let m = ConstMap::new(&lines, true);
    assert_eq!(m.get(b"EXAMPLE.com"), Some(&b"mary"[..]), "last line wins");
    assert_eq!(
        m.get(b".Example.Net"),
        Some(&b"net"[..]),
        "value trailing space stripped"
    );
    assert_eq!(m.get(b"nocolon"), None);
    assert_eq!(m.get(b"# virtual domains"), None);
    assert_eq!(m.len(), 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn matches_model(
        lines in prop::collection::vec(
            prop::collection::vec(prop::sample::select(vec![b'a', b'A', b'b', b':', 0xc9, 0xe9]), 0..5),
            0..30),
        probe in prop::collection::vec(prop::sample::select(vec![b'a', b'A', b'b', b':', 0xc9]), 0..4),
    ) {
        // The model: a linear scan from the end, comparing with ASCII case folding.
        let model = |colon: bool| -> Option<Vec<u8>> {
            lines.iter().rev().find_map(|l| {
                let (k, v) = if colon {
                    let i = l.iter().position(|&b| b == b':')?;
                    (&l[..i], &l[i + 1..])
                } else {
                    (&l[..], &[][..])
                };
                k.eq_ignore_ascii_case(&probe).then(|| v.to_vec())
            })
        };
        for colon in [false, true] {
            let m = ConstMap::new(&lines, colon);
            prop_assert_eq!(m.get(&probe).map(<[u8]>::to_vec), model(colon));
            prop_assert_eq!(m.contains(&probe), model(colon).is_some());
        }
    }
}
