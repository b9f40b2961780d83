//! Properties of the tag-list parser: any list written with any folding white space
//! parses back to its tags; arbitrary bytes never panic.
#![allow(clippy::unwrap_used)]
use proptest::prelude::*;
use qmail_dkim_core::tags;

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,5}"
}

fn value() -> impl Strategy<Value = String> {
    "[!-:<-~]{0,12}"
}

fn fws() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", " ", "\t", "\r\n ", " \r\n\t"])
}

proptest! {
    #[test]
    fn written_lists_parse_back(
        list in prop::collection::btree_map(name(), value(), 0..6),
        ws in fws(),
        trailing in any::<bool>(),
    ) {
        let text: Vec<String> = list.iter().map(|(n, v)| format!("{ws}{n}{ws}={ws}{v}{ws}")).collect();
        let mut text = text.join(";");
        if trailing && !list.is_empty() {
            text.push(';');
        }
        let got = tags::parse(text.as_bytes()).unwrap();
        let want: Vec<(&[u8], &[u8])> = list.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn any_bytes(data in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = tags::parse(&data);
    }
}
