//! Fuzz target: what qmail-dkim and qmail-dkimsign parse from untrusted bytes. The From
//! domain parser returns only DNS names; the streamed body hash equals the whole-body one
//! for any cut; the signer's request and answer parsers never panic, and an accepted
//! answer is one header field that cannot end the header.
#![no_main]
use libfuzzer_sys::fuzz_target;
use qmail_dkim_core::proto::{name_ok, Answer, Request};
use qmail_dkim_core::signature::Canon::Relaxed;

fuzz_target!(|data: &[u8]| {
    if let Some(d) = qmail_dkim_core::from::from_domain(data) {
        assert!(name_ok(&d));
    }
    if let Some(d) = qmail_dkim_core::from::address_domain(data) {
        assert!(name_ok(&d));
    }
    let cut = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    let mut a = qmail_dkim_core::body::BodyHasher::new(Relaxed, None);
    a.update(&data[..cut]);
    a.update(&data[cut..]);
    let mut b = qmail_dkim_core::body::BodyHasher::new(Relaxed, None);
    b.update(data);
    assert_eq!(a.finish(), b.finish());
    if let Some(r) = Request::decode(data) {
        assert!(name_ok(&r.domain) && name_ok(&r.selector));
        assert!(!r.key_file().contains(&b'/'));
    }
    if let Some(Answer::Signed(f)) = Answer::decode(data) {
        assert!(f.starts_with(b"DKIM-Signature:") && f.ends_with(b"\n"));
        assert!(!f.windows(2).any(|w| w == b"\n\n"));
    }
    let _ = qmail_dkim_core::prepare_header(data, Vec::new());
});
