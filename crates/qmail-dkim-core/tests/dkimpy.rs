//! Mail signed here is verified by an independent implementation, Python's dkimpy
//! (Debian python3-dkim), for both key types, with folded, repeated and 8-bit header
//! fields; tampered copies must fail. Keys come from `openssl genpkey`, the way a site
//! makes them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::path::{Path, PathBuf};
use std::process::Command;

use qmail_dkim_core::{sign, Key, Signer};

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("qmail-dkim-{tag}.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn genkey(dir: &Path, args: &[&str]) -> Key {
    let path = dir.join("key.pem");
    let st = Command::new("openssl")
        .arg("genpkey")
        .args(args)
        .arg("-out")
        .arg(&path)
        .status()
        .expect("openssl");
    assert!(st.success());
    Key::from_pem(&std::fs::read(&path).unwrap()).expect("key")
}

const VERIFY: &str = r#"
import sys, dkim
txt = open(sys.argv[2], 'rb').read()
def dns(name, timeout=5):
    if name.rstrip(b'.') != b'sel._domainkey.example.com':
        return None
    return txt
msg = open(sys.argv[1], 'rb').read().replace(b'\n', b'\r\n')
print('PASS' if dkim.verify(msg, dnsfunc=dns) else 'FAIL')
"#;

fn dkimpy(dir: &Path, msg: &[u8], txt: &str) -> String {
    let m = dir.join("msg");
    let t = dir.join("txt");
    std::fs::write(&m, msg).unwrap();
    std::fs::write(&t, txt).unwrap();
    // Debian's python3, where python3-dkim installs dkimpy.
    let out = Command::new("/usr/bin/python3")
        .args(["-c", VERIFY])
        .arg(&m)
        .arg(&t)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "dkimpy: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

const MESSAGES: &[&[u8]] = &[
    b"From: Joe <joe@example.com>\nTo: a@b.example\nSubject: plain\n\nhello\n",
    b"From: Joe <joe@example.com>\nTo: a@b.example,\n  c@d.example\nTo: second@b.example\nSubject: folded\n\t subject  with   spaces \nDate: Fri, 4 Dec 2026 16:00:00 +0000\n\nbody  with  spaces \t\n\n\n",
    "From: Jos\u{e9} <jose@example.com>\nTo: a@b.example\nSubject: 8-bit \u{fc}ml\u{e4}uts\n\nk\u{e4}se\n".as_bytes(),
    b"From: joe@example.com\nSubject: empty body\n\n",
];

fn check(tag: &str, args: &[&str]) {
    let dir = tmp(tag);
    let key = genkey(&dir, args);
    let txt = key.txt_record();
    let s = Signer {
        domain: b"example.com".to_vec(),
        selector: b"sel".to_vec(),
        key,
    };
    for msg in MESSAGES {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let h = sign(&s, msg, now).unwrap();
        let signed = [&h[..], msg].concat();
        assert_eq!(
            dkimpy(&dir, &signed, &txt),
            "PASS",
            "{}",
            String::from_utf8_lossy(&signed)
        );
        // a changed body, an added From and a changed Subject all fail
        let body = [&signed[..], b"tampered\n"].concat();
        assert_eq!(dkimpy(&dir, &body, &txt), "FAIL");
        let from = [&h[..], b"From: evil@example.net\n", msg].concat();
        assert_eq!(dkimpy(&dir, &from, &txt), "FAIL");
        let subj = String::from_utf8_lossy(&signed).replacen("Subject: ", "Subject: X", 1);
        assert_eq!(dkimpy(&dir, subj.as_bytes(), &txt), "FAIL");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rsa_2048_verified_by_dkimpy() {
    check(
        "rsa",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
}

#[test]
fn ed25519_verified_by_dkimpy() {
    check("ed", &["-algorithm", "ED25519"]);
}
