//! A domain's private key, from a PEM file: PKCS#8 (`BEGIN PRIVATE KEY`, RSA or Ed25519,
//! what `openssl genpkey` writes) or PKCS#1 (`BEGIN RSA PRIVATE KEY`).
use ring::signature::{Ed25519KeyPair, KeyPair, RsaKeyPair};

use crate::base64;

pub enum Key {
    Rsa(RsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Key::Rsa(_) => "Key::Rsa",
            Key::Ed25519(_) => "Key::Ed25519",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not a PEM private key")]
    NotPem,
    #[error("not an RSA (2048 bits or more) or Ed25519 private key")]
    BadKey,
}

/// The base64 between the BEGIN and END lines, and the label.
fn pem(text: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut label = None;
    let mut body = Vec::new();
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(l) = line.strip_prefix(b"-----BEGIN ") {
            label = Some(l.strip_suffix(b"-----")?.to_vec());
            continue;
        }
        if line.starts_with(b"-----END ") {
            return Some((label?, base64::decode(&body)?));
        }
        if label.is_some() {
            body.extend_from_slice(line);
        }
    }
    None
}

impl Key {
    pub fn from_pem(text: &[u8]) -> Result<Key, KeyError> {
        let (label, der) = pem(text).ok_or(KeyError::NotPem)?;
        match label.as_slice() {
            b"PRIVATE KEY" => {
                if let Ok(k) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der) {
                    return Ok(Key::Ed25519(k));
                }
                RsaKeyPair::from_pkcs8(&der)
                    .map(Key::Rsa)
                    .map_err(|_| KeyError::BadKey)
            }
            b"RSA PRIVATE KEY" => RsaKeyPair::from_der(&der)
                .map(Key::Rsa)
                .map_err(|_| KeyError::BadKey),
            _ => Err(KeyError::NotPem),
        }
    }

    /// The a= value.
    pub fn algorithm(&self) -> &'static str {
        match self {
            Key::Rsa(_) => "rsa-sha256",
            Key::Ed25519(_) => "ed25519-sha256",
        }
    }

    /// The DNS TXT record to publish at `selector._domainkey.domain`.
    pub fn txt_record(&self) -> String {
        let (k, p) = match self {
            Key::Rsa(k) => ("rsa", spki_rsa(k.public_key().as_ref())),
            Key::Ed25519(k) => ("ed25519", k.public_key().as_ref().to_vec()),
        };
        let p = String::from_utf8(base64::encode(&p)).unwrap_or_default();
        format!("v=DKIM1; k={k}; p={p}")
    }
}

fn der_len(n: usize, out: &mut Vec<u8>) {
    if n < 0x80 {
        out.push(u8::try_from(n).unwrap_or(0));
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | u8::try_from(bytes.len()).unwrap_or(0));
        out.extend_from_slice(&bytes);
    }
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    der_len(content.len(), &mut v);
    v.extend_from_slice(content);
    v
}

/// SubjectPublicKeyInfo around a PKCS#1 RSAPublicKey (what p= holds for k=rsa).
fn spki_rsa(pkcs1: &[u8]) -> Vec<u8> {
    // SEQUENCE { OID 1.2.840.113549.1.1.1, NULL }
    const ALG: &[u8] = &[
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut bits = vec![0u8];
    bits.extend_from_slice(pkcs1);
    let mut seq = ALG.to_vec();
    seq.extend_from_slice(&der(0x03, &bits));
    der(0x30, &seq)
}

/// A PEM file: the label's BEGIN line, the base64 of `der` in 64-column lines, the END
/// line.
pub fn pem_encode(label: &str, der: &[u8]) -> Vec<u8> {
    let mut out = format!("-----BEGIN {label}-----\n").into_bytes();
    for line in base64::encode(der).chunks(64) {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out.extend_from_slice(format!("-----END {label}-----\n").as_bytes());
    out
}

/// A new Ed25519 private key, as a PKCS#8 PEM file (what `openssl genpkey -algorithm
/// ed25519` writes).
pub fn generate_ed25519() -> Result<Vec<u8>, KeyError> {
    let doc = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
        .map_err(|_| KeyError::BadKey)?;
    Ok(pem_encode("PRIVATE KEY", doc.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ed25519_reads_back() {
        let pem = generate_ed25519().unwrap_or_default();
        let k = Key::from_pem(&pem);
        assert!(matches!(k, Ok(Key::Ed25519(_))), "{k:?}");
        assert!(k
            .map(|k| k.txt_record())
            .unwrap_or_default()
            .starts_with("v=DKIM1; k=ed25519; p="));
    }
}
