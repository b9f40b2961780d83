//! Properties of verification's parsers and of the streaming body hash: arbitrary bytes
//! never panic the DKIM-Signature or key-record parsers; the body hash does not depend on
//! how the body is cut into pieces, and relaxed equals the whole-body canonicalisation
//! the signer uses; b= removal keeps every other byte.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
use proptest::prelude::*;
use qmail_dkim_core::body::BodyHasher;
use qmail_dkim_core::keyrec::KeyRecord;
use qmail_dkim_core::signature::{without_b, Algorithm, Canon, Signature};
use ring::digest::{digest, SHA256};

fn bytes(set: &[u8]) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(set.to_vec()), 0..200)
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    bytes(b"ab \t\r\n\xe4")
}

proptest! {
    #[test]
    fn parsers_never_panic(data in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = Signature::parse(&data);
        let _ = KeyRecord::parse(&data, Algorithm::RsaSha256);
        let _ = KeyRecord::parse(&data, Algorithm::Ed25519Sha256);
        let _ = without_b(&data);
    }

    #[test]
    fn pieces_do_not_matter(b in body(), cut in 1usize..17, relaxed: bool, limit in prop::option::of(0u64..300)) {
        let canon = if relaxed { Canon::Relaxed } else { Canon::Simple };
        let mut whole = BodyHasher::new(canon, limit);
        whole.update(&b);
        let mut pieces = BodyHasher::new(canon, limit);
        for p in b.chunks(cut) {
            pieces.update(p);
        }
        prop_assert_eq!(whole.finish(), pieces.finish());
    }

    #[test]
    fn relaxed_is_the_signers_canonicalisation(b in bytes(b"ab \t\n\xe4")) {
        // The signer's version reads queue files: lines ending in LF.
        let mut h = BodyHasher::new(Canon::Relaxed, None);
        h.update(&b);
        let want = qmail_dkim_core::canon::relaxed_body(&b);
        let (hash, total) = h.finish();
        prop_assert_eq!(hash, digest(&SHA256, &want).as_ref().to_vec());
        prop_assert_eq!(total, want.len() as u64);
    }

    #[test]
    fn b_removal_keeps_the_rest(before in "[a-z=; ]{0,20}", v in "[A-Za-z0-9+/ ]{0,30}", after in "[a-z=; ]{0,20}") {
        let before = before.replace('b', "c");
        let after = after.replace('b', "c");
        let text = format!("DKIM-Signature: {before}; b={v}; {after}");
        let want = format!("DKIM-Signature: {before}; b=; {after}");
        prop_assert_eq!(without_b(text.as_bytes()), want.into_bytes());
    }
}
