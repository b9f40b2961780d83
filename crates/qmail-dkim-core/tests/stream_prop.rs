//! Properties of what qmail-dkim computes from untrusted bytes: the streamed body hash
//! equals the whole-body one however the body is cut; a message prepared from its header
//! and a streamed body equals one prepared whole; the From domain parser finds the
//! author's domain through display names, comments and quoted strings, and never
//! returns anything but a DNS name; the signer's answer parser never lets through a field
//! that could end the header or add another one.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
use proptest::prelude::*;
use qmail_dkim_core::body::BodyHasher;
use qmail_dkim_core::canon::relaxed_body;
use qmail_dkim_core::from::{address_domain, from_domain};
use qmail_dkim_core::proto::{name_ok, netstring, Answer};
use qmail_dkim_core::signature::Canon;
use qmail_dkim_core::{base64, prepare, prepare_header};

fn whole_bh(body: &[u8]) -> Vec<u8> {
    let d = ring::digest::digest(&ring::digest::SHA256, &relaxed_body(body));
    base64::encode(d.as_ref())
}

fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop::sample::select(vec![b'a', b' ', b'\t', b'\r', b'\n', b'\n', 0xe4, b'.']),
        0..200,
    )
}

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?"
}

fn domain() -> impl Strategy<Value = String> {
    prop::collection::vec(label(), 1..4).prop_map(|v| v.join("."))
}

proptest! {
    #[test]
    fn streamed_body_hash_is_the_whole_one(body in body_bytes(), cuts in prop::collection::vec(0usize..200, 0..8)) {
        let mut h = BodyHasher::new(Canon::Relaxed, None);
        let mut at = 0usize;
        let mut cuts = cuts;
        cuts.sort_unstable();
        for c in cuts {
            let c = c.min(body.len());
            if c > at {
                h.update(&body[at..c]);
                at = c;
            }
        }
        h.update(&body[at..]);
        prop_assert_eq!(base64::encode(&h.finish().0), whole_bh(&body));
    }

    #[test]
    fn header_and_stream_prepare_as_whole(
        subject in "[ -~\u{e4}]{0,40}",
        folded in any::<bool>(),
        body in body_bytes(),
    ) {
        let fold = if folded { "\n\t" } else { " " };
        let header = format!("From: a@b.example\nSubject:{fold}{subject}\nTo: c@d.example\n");
        let mut msg = header.clone().into_bytes();
        msg.push(b'\n');
        msg.extend_from_slice(&body);
        let mut h = BodyHasher::new(Canon::Relaxed, None);
        h.update(&body);
        prop_assert_eq!(prepare_header(header.as_bytes(), base64::encode(&h.finish().0)), prepare(&msg));
    }

    #[test]
    fn from_domain_through_decorations(
        d in domain(),
        local in "[a-z0-9.]{1,8}",
        name in "[a-zA-Z @<>,.]{0,10}",
        comment in "[a-zA-Z @<>,]{0,10}",
        upper in any::<bool>(),
        shape in 0u8..4,
    ) {
        let dd = if upper { d.to_ascii_uppercase() } else { d.clone() };
        let field = match shape {
            0 => format!("From: {local}@{dd}"),
            1 => format!("From: \"{name}\" <{local}@{dd}>"),
            2 => format!("From: {local}@{dd} ({comment})"),
            _ => format!("From: \"{name}\"\r\n (c {comment}) <{local}@{dd}>, other@x.example"),
        };
        prop_assert_eq!(from_domain(field.as_bytes()), Some(d.into_bytes()));
    }

    #[test]
    fn parsers_never_panic_and_answer_only_dns_names(data in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Some(d) = from_domain(&data) {
            prop_assert!(name_ok(&d));
        }
        if let Some(d) = address_domain(&data) {
            prop_assert!(name_ok(&d));
        }
        let mut framed = Vec::new();
        netstring(&mut framed, &data);
        for input in [&data[..], &framed[..]] {
            if let Some(Answer::Signed(f)) = Answer::decode(input) {
                prop_assert!(f.starts_with(b"DKIM-Signature:") && f.ends_with(b"\n"));
                let body = &f[..f.len() - 1];
                for line in body.split(|&b| b == b'\n').skip(1) {
                    prop_assert!(line.first() == Some(&b' ') || line.first() == Some(&b'\t'));
                }
                prop_assert!(!f.contains(&b'\r') && !f.contains(&0));
            }
        }
    }
}
