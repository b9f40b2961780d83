//! Fuzz target: a received DKIM-Signature field and a DNS key record. Neither parser
//! panics; a parsed signature has the tags §6.1.1 requires; verification of the bytes as
//! a whole header (every signature, keys from the same bytes) never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use qmail_dkim_core::keyrec::KeyRecord;
use qmail_dkim_core::signature::{self, Algorithm, Signature};
use qmail_dkim_core::verify::{KeyFetch, KeySource, Verifier};

struct Same(Vec<u8>);

impl KeySource for Same {
    fn fetch(&mut self, _name: &[u8]) -> KeyFetch {
        KeyFetch::Found(vec![self.0.clone()])
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = Signature::parse(data) {
        assert!(s.headers.iter().any(|h| h == b"from"));
        assert_eq!(s.bh.len(), 32);
        assert!(!s.domain.is_empty() && !s.selector.is_empty());
    }
    let _ = KeyRecord::parse(data, Algorithm::RsaSha256);
    let _ = KeyRecord::parse(data, Algorithm::Ed25519Sha256);
    let stripped = signature::without_b(data);
    assert!(stripped.len() <= data.len());
    let header = [&b"DKIM-Signature:"[..], data].concat();
    let mut v = Verifier::new(header);
    v.body(data);
    let _ = v.finish(&mut Same(data.to_vec()), 0);
});
