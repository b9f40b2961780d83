//! A DKIM key record from DNS (RFC 6376 §3.6.1, RFC 8463 §4): `v=DKIM1; k=rsa; p=…`.
//! Untrusted bytes from anyone's DNS.
use crate::base64;
use crate::signature::Algorithm;
use crate::tags;

/// RFC 8301 §3.2: verifiers must not accept RSA keys shorter than this.
pub const RSA_BITS_MIN: usize = 1024;
/// ring's limit for RSA verification.
pub const RSA_BITS_MAX: usize = 8192;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// Modulus and exponent, big-endian, without leading zeros.
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    Ed25519(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub key: PublicKey,
    /// t=s: i= must have exactly the domain of d=.
    pub strict: bool,
    /// t=y: the domain is testing DKIM.
    pub testing: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("key record syntax error")]
    Syntax,
    #[error("key revoked")]
    Revoked,
    #[error("key type does not match the signature")]
    KeyType,
    #[error("key record does not allow sha256")]
    Hash,
    #[error("key not for email")]
    Service,
    #[error("bad public key")]
    BadKey,
    #[error("RSA key shorter than 1024 bits")]
    TooSmall,
}

fn list_has(v: &[u8], want: &[u8]) -> bool {
    v.split(|&b| b == b':').any(|x| {
        let x: Vec<u8> = x
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        x.eq_ignore_ascii_case(want)
    })
}

impl KeyRecord {
    /// The record, checked against the algorithm of the signature that names it.
    pub fn parse(text: &[u8], algorithm: Algorithm) -> Result<KeyRecord, KeyError> {
        let t = tags::parse(text).map_err(|_| KeyError::Syntax)?;
        if let Some(v) = tags::get(&t, b"v") {
            // v= must be first when present (§3.6.1).
            if v != b"DKIM1" || t.first().map(|(n, _)| *n) != Some(&b"v"[..]) {
                return Err(KeyError::Syntax);
            }
        }
        if let Some(h) = tags::get(&t, b"h") {
            if !list_has(h, b"sha256") {
                return Err(KeyError::Hash);
            }
        }
        if let Some(s) = tags::get(&t, b"s") {
            if !list_has(s, b"*") && !list_has(s, b"email") {
                return Err(KeyError::Service);
            }
        }
        let k = tags::get(&t, b"k").unwrap_or(b"rsa").to_ascii_lowercase();
        let p = tags::get(&t, b"p").ok_or(KeyError::Syntax)?;
        let p = base64::decode(p).ok_or(KeyError::BadKey)?;
        if p.is_empty() {
            return Err(KeyError::Revoked);
        }
        let key = match (k.as_slice(), algorithm) {
            (b"rsa", Algorithm::RsaSha256) => rsa_key(&p)?,
            (b"ed25519", Algorithm::Ed25519Sha256) => {
                if p.len() != 32 {
                    return Err(KeyError::BadKey);
                }
                PublicKey::Ed25519(p)
            }
            _ => return Err(KeyError::KeyType),
        };
        let flags = tags::get(&t, b"t").unwrap_or_default();
        Ok(KeyRecord {
            key,
            strict: list_has(flags, b"s"),
            testing: list_has(flags, b"y"),
        })
    }
}

/// One DER element: its tag, its contents, and what follows it.
fn der(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = data.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 3 {
            return None;
        }
        let bytes = rest.get(..n)?;
        let len = bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, rest.get(n..)?)
    };
    Some((tag, rest.get(..len)?, rest.get(len..)?))
}

fn unsigned(int: &[u8]) -> &[u8] {
    let mut s = int;
    while let [0, rest @ ..] = s {
        s = rest;
    }
    s
}

/// p= for k=rsa: a SubjectPublicKeyInfo (what §3.6.1 says) or, as some publish, a bare
/// PKCS#1 RSAPublicKey.
fn rsa_key(p: &[u8]) -> Result<PublicKey, KeyError> {
    let (tag, seq, rest) = der(p).ok_or(KeyError::BadKey)?;
    if tag != 0x30 || !rest.is_empty() {
        return Err(KeyError::BadKey);
    }
    let (tag, first, after) = der(seq).ok_or(KeyError::BadKey)?;
    let pkcs1 = match tag {
        // SPKI: AlgorithmIdentifier, then the key in a BIT STRING.
        0x30 => {
            const RSA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
            let (t, oid, _) = der(first).ok_or(KeyError::BadKey)?;
            if t != 0x06 || oid != RSA_OID {
                return Err(KeyError::BadKey);
            }
            let (t, bits, end) = der(after).ok_or(KeyError::BadKey)?;
            match (t, bits.split_first()) {
                (0x03, Some((0, key))) if end.is_empty() => {
                    let (t, inner, end) = der(key).ok_or(KeyError::BadKey)?;
                    if t != 0x30 || !end.is_empty() {
                        return Err(KeyError::BadKey);
                    }
                    inner
                }
                _ => return Err(KeyError::BadKey),
            }
        }
        0x02 => seq,
        _ => return Err(KeyError::BadKey),
    };
    let (t1, n, rest) = der(pkcs1).ok_or(KeyError::BadKey)?;
    let (t2, e, end) = der(rest).ok_or(KeyError::BadKey)?;
    if t1 != 0x02 || t2 != 0x02 || !end.is_empty() {
        return Err(KeyError::BadKey);
    }
    let (n, e) = (unsigned(n), unsigned(e));
    let bits = n.len().saturating_mul(8).saturating_sub(
        n.first()
            .map_or(0, |b| usize::try_from(b.leading_zeros()).unwrap_or(0)),
    );
    if bits < RSA_BITS_MIN {
        return Err(KeyError::TooSmall);
    }
    if bits > RSA_BITS_MAX || e.is_empty() {
        return Err(KeyError::BadKey);
    }
    Ok(PublicKey::Rsa {
        n: n.to_vec(),
        e: e.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records() {
        let ed = b"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
        let r = KeyRecord::parse(ed, Algorithm::Ed25519Sha256).unwrap();
        assert!(matches!(r.key, PublicKey::Ed25519(ref k) if k.len() == 32));
        assert_eq!(
            KeyRecord::parse(ed, Algorithm::RsaSha256),
            Err(KeyError::KeyType)
        );
        assert_eq!(
            KeyRecord::parse(b"v=DKIM1; p=", Algorithm::RsaSha256),
            Err(KeyError::Revoked)
        );
        assert_eq!(
            KeyRecord::parse(b"k=rsa; v=DKIM1; p=", Algorithm::RsaSha256),
            Err(KeyError::Syntax)
        );
        assert_eq!(
            KeyRecord::parse(b"v=DKIM1; h=sha1; p=AAAA", Algorithm::RsaSha256),
            Err(KeyError::Hash)
        );
        assert_eq!(
            KeyRecord::parse(b"v=DKIM1; p=MAMCAQE=", Algorithm::RsaSha256),
            Err(KeyError::BadKey)
        );
    }
}
