//! Verification of mail signed by an independent implementation, Python's dkimpy (Debian
//! python3-dkim, python3-nacl): rsa-sha256 with 1024- and 2048-bit keys and
//! ed25519-sha256, all four canonicalisation pairs, with and without l=, folded and 8-bit
//! header fields. Tampered bodies and header fields must fail; text added after an l=
//! limit is `policy`, never `pass`. Keys come from a map standing in for DNS.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use qmail_dkim_core::verify::{KeyFetch, KeySource, Outcome, Verdict, Verifier};

struct Keys(HashMap<Vec<u8>, Option<Vec<u8>>>);

impl KeySource for Keys {
    fn fetch(&mut self, name: &[u8]) -> KeyFetch {
        match self.0.get(name) {
            Some(Some(r)) => KeyFetch::Found(vec![r.clone()]),
            Some(None) => KeyFetch::Temporary,
            None => KeyFetch::NotFound,
        }
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Header section and body, split at the first empty line (LF or CRLF).
fn verify(msg: &[u8], keys: &mut Keys) -> Vec<Outcome> {
    let (h, b) = match msg.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&msg[..i + 1], &msg[i + 2..]),
        None => {
            let i = msg.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
            (&msg[..i + 2], &msg[i + 4..])
        }
    };
    let mut v = Verifier::new(h.to_vec());
    // The body in small pieces, as it streams in production.
    for piece in b.chunks(7) {
        v.body(piece);
    }
    v.finish(keys, now())
}

fn verdict(msg: &[u8], keys: &mut Keys) -> Verdict {
    let o = verify(msg, keys);
    assert_eq!(o.len(), 1, "{}", String::from_utf8_lossy(msg));
    o[0].verdict
}

fn signed(tag: &str) -> (PathBuf, Keys) {
    let dir = std::env::temp_dir().join(format!("qmail-dkimv-{tag}.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/dkimpy_sign.py");
    let st = Command::new("/usr/bin/python3")
        .arg(script)
        .arg(&dir)
        .status()
        .expect("python3");
    assert!(st.success(), "dkimpy signing failed");
    let mut keys = HashMap::new();
    for line in std::fs::read(dir.join("keys"))
        .unwrap()
        .split(|&b| b == b'\n')
    {
        if let Some(t) = line.iter().position(|&b| b == b'\t') {
            keys.insert(line[..t].to_vec(), Some(line[t + 1..].to_vec()));
        }
    }
    (dir, Keys(keys))
}

fn replace(msg: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let i = msg
        .windows(from.len())
        .position(|w| w == from)
        .unwrap_or_else(|| panic!("{} not in message", String::from_utf8_lossy(from)));
    [&msg[..i], to, &msg[i + from.len()..]].concat()
}

#[test]
fn dkimpy_signatures() {
    let (dir, mut keys) = signed("all");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        if path.extension() != Some(std::ffi::OsStr::new("eml")) {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let msg = std::fs::read(&path).unwrap();
        let o = verify(&msg, &mut keys);
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].verdict, Verdict::Pass, "{name}: {:?}", o[0].reason);
        assert_eq!(o[0].domain.as_deref(), Some(&b"example.com"[..]));
        // The same message with CRLF line ends.
        let crlf: Vec<u8> = msg
            .split(|&b| b == b'\n')
            .collect::<Vec<_>>()
            .join(&b"\r\n"[..]);
        assert_eq!(verdict(&crlf, &mut keys), Verdict::Pass, "{name} CRLF");

        let relaxed_body = name.contains("-relaxed-l") || name.ends_with("-relaxed");
        let limited = name.ends_with("-l");
        // Text added after the body: covered unless l= says otherwise (an empty body
        // canonicalised simple is one CRLF, which the added text replaces).
        let added = [&msg[..], b"added line\n"].concat();
        let simple_empty = name.contains("-empty-") && !relaxed_body;
        let want = if limited && !simple_empty {
            Verdict::Policy
        } else {
            Verdict::Fail
        };
        assert_eq!(verdict(&added, &mut keys), want, "{name} added");
        // A changed signed header field: always fails.
        let subj = replace(&msg, b"\nSubject: ", b"\nSubject: Re: ");
        assert_eq!(verdict(&subj, &mut keys), Verdict::Fail, "{name} subject");
        let from = replace(&msg, b"\nFrom: ", b"\nFrom: x");
        assert_eq!(verdict(&from, &mut keys), Verdict::Fail, "{name} from");
        // An unsigned field added: still passes.
        let extra = replace(&msg, b"\nFrom: ", b"\nX-Extra: 1\nFrom: ");
        assert_eq!(verdict(&extra, &mut keys), Verdict::Pass, "{name} extra");
        // White space changed in a signed header field: relaxed header canonicalisation
        // forgives it, simple does not.
        let ws = replace(&msg, b"\nSubject: ", b"\nSubject:   ");
        let want = if name.contains("-relaxed-") && !name.contains("-simple-relaxed") {
            Verdict::Pass
        } else {
            Verdict::Fail
        };
        assert_eq!(verdict(&ws, &mut keys), want, "{name} header ws");
        if !name.contains("-empty-") {
            // A changed body word fails; trailing white space only matters for simple.
            let word = replace(&msg, b"\n\n", b"\n\nX");
            assert_eq!(verdict(&word, &mut keys), Verdict::Fail, "{name} body");
            let body_start = msg.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
            let line_end = body_start + msg[body_start..].iter().position(|&b| b == b'\n').unwrap();
            let ws = [&msg[..line_end], b" \t ", &msg[line_end..]].concat();
            let want = if relaxed_body {
                Verdict::Pass
            } else {
                Verdict::Fail
            };
            assert_eq!(verdict(&ws, &mut keys), want, "{name} body ws");
        }
        n += 1;
    }
    assert_eq!(n, 96);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn keys_missing_revoked_or_unreachable() {
    let (dir, keys) = signed("keys");
    let msg = std::fs::read(dir.join("rsa2048-plain-relaxed-relaxed.eml")).unwrap();
    let name = b"rsa2048._domainkey.example.com".to_vec();
    let with = |rec: Option<Option<&[u8]>>| {
        let mut k = Keys(keys.0.clone());
        match rec {
            None => {
                k.0.remove(&name);
            }
            Some(r) => {
                k.0.insert(name.clone(), r.map(<[u8]>::to_vec));
            }
        }
        verify(&msg, &mut k)[0].clone()
    };
    assert_eq!(with(None).verdict, Verdict::PermError);
    assert_eq!(with(Some(None)).verdict, Verdict::TempError);
    let revoked = with(Some(Some(b"v=DKIM1; k=rsa; p=")));
    assert_eq!(revoked.verdict, Verdict::PermError);
    assert_eq!(revoked.reason.as_deref(), Some("key revoked"));
    // The ed25519 key under the RSA selector: a key type mismatch.
    let ed = keys.0[&b"ed._domainkey.example.com"[..]].clone().unwrap();
    assert_eq!(with(Some(Some(&ed))).verdict, Verdict::PermError);
    // Another RSA key: the signature does not verify.
    let other = keys.0[&b"rsa1024._domainkey.example.com"[..]]
        .clone()
        .unwrap();
    assert_eq!(with(Some(Some(&other))).verdict, Verdict::Fail);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn several_signatures_and_none() {
    let (dir, mut keys) = signed("several");
    let a = std::fs::read(dir.join("ed-plain-relaxed-relaxed.eml")).unwrap();
    let b = std::fs::read(dir.join("rsa2048-plain-simple-simple.eml")).unwrap();
    // b's signature field on top of a: two signatures, both good.
    let sig_b = &b[..b.windows(7).position(|w| w == b"\nFrom: ").unwrap() + 1];
    let both = [sig_b, &a[..]].concat();
    let o = verify(&both, &mut keys);
    assert_eq!(o.len(), 2);
    assert!(o.iter().all(|o| o.verdict == Verdict::Pass), "{o:?}");
    // A broken signature field beside a good one.
    let broken = [
        &b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=x\n"[..],
        &a,
    ]
    .concat();
    let o = verify(&broken, &mut keys);
    assert_eq!(o[0].verdict, Verdict::Neutral);
    assert_eq!(o[0].domain.as_deref(), Some(&b"example.com"[..]));
    assert_eq!(o[1].verdict, Verdict::Pass);
    // Nothing signed.
    let v = Verifier::new(b"From: a@b\n".to_vec());
    assert!(v.is_unsigned());
    assert!(v.finish(&mut keys, now()).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn own_signer_round_trip() {
    // What qmail-dkim-core signs, it verifies (ed25519, from a fixed PKCS#8 seed).
    let mut pkcs8 = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    pkcs8.extend_from_slice(&[7u8; 32]);
    let pem = [
        &b"-----BEGIN PRIVATE KEY-----\n"[..],
        &qmail_dkim_core::base64::encode(&pkcs8),
        b"\n-----END PRIVATE KEY-----\n",
    ]
    .concat();
    let key = qmail_dkim_core::Key::from_pem(&pem).unwrap();
    let txt = key.txt_record().into_bytes();
    let s = qmail_dkim_core::Signer {
        domain: b"example.org".to_vec(),
        selector: b"s1".to_vec(),
        key,
    };
    let msg = b"From: a@example.org\nSubject: hi\n\nbody\n";
    let signed = [qmail_dkim_core::sign(&s, msg, now()).unwrap(), msg.to_vec()].concat();
    let mut keys = Keys(HashMap::from([(
        b"s1._domainkey.example.org".to_vec(),
        Some(txt),
    )]));
    assert_eq!(verdict(&signed, &mut keys), Verdict::Pass);
}
