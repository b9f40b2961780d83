//! DANE checks against certificates the openssl command makes: a CA, a server
//! certificate it signed for mx.example, and the digests openssl computes for TLSA.
use super::*;
use rustls::pki_types::pem::PemObject;
use std::path::Path;
use std::process::Command;

fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

struct Certs {
    ca: CertificateDer<'static>,
    ee: CertificateDer<'static>,
    other: CertificateDer<'static>,
    /// SHA-256 and SHA-512 of the server's public key, and of the CA's certificate,
    /// as openssl computes them.
    ee_spki_sha256: Vec<u8>,
    ee_spki_sha512: Vec<u8>,
    ca_cert_sha256: Vec<u8>,
    ee_spki: Vec<u8>,
}

fn hex(text: &[u8]) -> Vec<u8> {
    // `openssl dgst -hex`: "...= HEX\n"
    let text = String::from_utf8_lossy(text);
    let h = text.trim().rsplit(' ').next().unwrap();
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect()
}

fn certs() -> Certs {
    let dir = std::env::temp_dir().join(format!("qmail-remote-dane.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    for (name, extra) in [("ca", true), ("other", true)] {
        let mut a = vec!["req", "-x509"];
        a.extend_from_slice(&ec);
        let key = format!("{name}.key");
        let pem = format!("{name}.pem");
        a.extend_from_slice(&["-keyout", &key, "-out", &pem, "-days", "3", "-subj"]);
        a.push(if name == "ca" {
            "/CN=test CA"
        } else {
            "/CN=other"
        });
        if extra {
            a.extend_from_slice(&["-addext", "basicConstraints=critical,CA:TRUE"]);
        }
        openssl(&dir, &a);
    }
    let mut req = vec!["req"];
    req.extend_from_slice(&ec);
    req.extend_from_slice(&[
        "-keyout",
        "ee.key",
        "-out",
        "ee.csr",
        "-subj",
        "/CN=mx.example",
    ]);
    openssl(&dir, &req);
    std::fs::write(
        dir.join("ee.ext"),
        "subjectAltName=DNS:mx.example\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        &dir,
        &[
            "x509",
            "-req",
            "-in",
            "ee.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "3",
            "-out",
            "ee.pem",
            "-extfile",
            "ee.ext",
        ],
    );
    openssl(
        &dir,
        &[
            "pkey", "-in", "ee.key", "-pubout", "-outform", "DER", "-out", "ee.spki",
        ],
    );
    openssl(
        &dir,
        &["x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der"],
    );
    let read = |f: &str| CertificateDer::from_pem_file(dir.join(f)).unwrap();
    let c = Certs {
        ca: read("ca.pem"),
        ee: read("ee.pem"),
        other: read("other.pem"),
        ee_spki_sha256: hex(&openssl(&dir, &["dgst", "-sha256", "-hex", "ee.spki"])),
        ee_spki_sha512: hex(&openssl(&dir, &["dgst", "-sha512", "-hex", "ee.spki"])),
        ca_cert_sha256: hex(&openssl(&dir, &["dgst", "-sha256", "-hex", "ca.der"])),
        ee_spki: std::fs::read(dir.join("ee.spki")).unwrap(),
    };
    let _ = std::fs::remove_dir_all(&dir);
    c
}

fn tlsa(usage: u8, selector: u8, matching: u8, data: &[u8]) -> Tlsa {
    Tlsa {
        usage,
        selector,
        matching,
        data: data.to_vec(),
    }
}

fn check(
    records: &[Tlsa],
    c: &Certs,
    chain: &[CertificateDer<'static>],
    name: &str,
) -> Result<String, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let name = ServerName::try_from(name.to_string()).unwrap();
    verify(records, &c.ee, chain, &name, UnixTime::now(), &provider)
}

#[test]
fn dane_ee_and_dane_ta() {
    let c = certs();
    assert_eq!(c.ee_spki_sha256.len(), 32);
    // DANE-EE by public key: SHA-256, SHA-512 and the key itself; no name is checked.
    for r in [
        tlsa(3, 1, 1, &c.ee_spki_sha256),
        tlsa(3, 1, 2, &c.ee_spki_sha512),
        tlsa(3, 1, 0, &c.ee_spki),
        tlsa(3, 0, 0, c.ee.as_ref()),
    ] {
        assert_eq!(usable(std::slice::from_ref(&r)).len(), 1);
        let got = check(std::slice::from_ref(&r), &c, &[], "somewhere.else").unwrap();
        assert_eq!(got, format!("DANE-EE 3 {} {}", r.selector, r.matching));
    }
    // DANE-TA: the CA's certificate in the chain the server sent, and the name checked.
    let ta = [tlsa(2, 0, 1, &c.ca_cert_sha256)];
    assert_eq!(
        check(&ta, &c, std::slice::from_ref(&c.ca), "mx.example").unwrap(),
        "DANE-TA 2 0 1"
    );
    let e = check(&ta, &c, std::slice::from_ref(&c.ca), "other.example").unwrap_err();
    assert!(e.contains("not valid"), "{e}");
    // The anchor must be in the chain: a server that does not send it is not verified.
    assert!(check(&ta, &c, &[], "mx.example").is_err());
    // A matching certificate that did not sign the server's is no anchor.
    let wrong_anchor = [tlsa(2, 0, 0, c.other.as_ref())];
    assert!(check(
        &wrong_anchor,
        &c,
        std::slice::from_ref(&c.other),
        "mx.example"
    )
    .is_err());
    // A digest of something else.
    let mut bad = c.ee_spki_sha256.clone();
    bad[0] ^= 1;
    let e = check(
        &[tlsa(3, 1, 1, &bad)],
        &c,
        std::slice::from_ref(&c.ca),
        "mx.example",
    )
    .unwrap_err();
    assert_eq!(e, "no TLSA record matches the server's certificate chain");
}

#[test]
fn unusable_records_are_left_out() {
    let d32 = [7u8; 32];
    let recs = [
        tlsa(0, 1, 1, &d32),       // PKIX-TA: not for SMTP
        tlsa(1, 1, 1, &d32),       // PKIX-EE: not for SMTP
        tlsa(3, 2, 1, &d32),       // selector 2
        tlsa(3, 1, 3, &d32),       // matching 3
        tlsa(3, 1, 1, &d32[..31]), // a SHA-256 digest of 31 bytes
        tlsa(3, 1, 2, &d32),       // a SHA-512 digest of 32 bytes
        tlsa(3, 1, 0, &[]),        // nothing to match
    ];
    assert!(usable(&recs).is_empty());
    assert_eq!(usable(&[tlsa(2, 1, 1, &d32)]).len(), 1);
    // Garbage where a certificate should be matches no public key, and does not panic.
    assert!(!matches(&tlsa(3, 1, 1, &d32), b"\x30\x03\x02\x01"));
}
