//! Fuzz target: the DKIM tag-list parser (DKIM-Signature fields, DNS key records) never
//! panics, and every tag it returns is a well-formed name with trimmed value.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(tags) = qmail_dkim_core::tags::parse(data) {
        for (name, value) in tags {
            assert!(name.first().is_some_and(u8::is_ascii_alphabetic));
            assert!(!value.first().is_some_and(|b| b.is_ascii_whitespace()));
        }
    }
    let _ = qmail_dkim_core::base64::decode(data);
    let (_fields, body) = qmail_dkim_core::canon::split(data);
    let _ = qmail_dkim_core::canon::relaxed_body(body);
});
