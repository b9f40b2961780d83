//! Properties of the SPF record parser and of macro expansion: arbitrary bytes never
//! panic either; a record built from valid terms parses to as many directives; expanded
//! domain names are never longer than 253 bytes.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
use proptest::prelude::*;
use qmail_spf::macros::{expand, shorten, Context, MacroString};
use qmail_spf::record::Record;

fn term() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_string()),
        Just("mx/24".to_string()),
        Just("-all".to_string()),
        Just("~ptr".to_string()),
        Just("?exists:%{ir}.%{l1r-}.x.example".to_string()),
        Just("include:_spf.example.org".to_string()),
        (0u8..=255, 0u8..=32).prop_map(|(o, l)| format!("ip4:192.0.2.{o}/{l}")),
        (0u16..=0xffff, 0u8..=128).prop_map(|(h, l)| format!("ip6:2001:db8::{h:x}/{l}")),
        "[a-z]{1,8}\\.example".prop_map(|d| format!("a:{d}//64")),
    ]
}

fn cx() -> Context<'static> {
    Context {
        sender: b"joe@example.com",
        local: b"joe",
        sender_domain: b"example.com",
        domain: b"example.com",
        ip: "192.0.2.1".parse().unwrap(),
        helo: b"mail.example.com",
        receiver: b"mx.example.net",
        now: 0,
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = Record::parse(&data);
        let with_version = [&b"v=spf1 "[..], &data].concat();
        let _ = Record::parse(&with_version);
        for exp in [false, true] {
            if let Ok(m) = MacroString::parse(&data, exp) {
                let out = expand(&m, &cx(), &mut || b"unknown".to_vec());
                prop_assert!(shorten(&out).len() <= 253);
            }
        }
    }

    #[test]
    fn valid_terms_parse(terms in prop::collection::vec(term(), 0..12), spaces in 1usize..3) {
        let sep = " ".repeat(spaces);
        let text = format!("v=spf1{sep}{}", terms.join(&sep));
        let r = Record::parse(text.as_bytes()).unwrap();
        prop_assert_eq!(r.directives.len(), terms.len());
    }

    #[test]
    fn macro_expansion_is_bounded(spec in "(%\\{[slodiphv]([1-9][0-9]?)?r?[.-]?\\}|[a-z.]{1,5}){1,40}") {
        let m = MacroString::parse(spec.as_bytes(), false).unwrap();
        let out = expand(&m, &cx(), &mut || b"host.example.com".to_vec());
        prop_assert!(shorten(&out).len() <= 253);
    }
}
