//! A received DKIM-Signature header field (RFC 6376 §3.5), checked as §6.1.1 asks before
//! any DNS query is made. Untrusted bytes from anyone on the Internet.
use crate::base64;
use crate::tags::{self, TagError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    RsaSha256,
    Ed25519Sha256,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::RsaSha256 => "rsa-sha256",
            Algorithm::Ed25519Sha256 => "ed25519-sha256",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Canon {
    Simple,
    Relaxed,
}

/// More h= entries than any signer writes; a bound on the header hashing work.
pub const H_MAX: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub algorithm: Algorithm,
    pub header_canon: Canon,
    pub body_canon: Canon,
    /// d=, lower case.
    pub domain: Vec<u8>,
    /// s=, lower case.
    pub selector: Vec<u8>,
    /// h=, lower case, in order.
    pub headers: Vec<Vec<u8>>,
    pub bh: Vec<u8>,
    pub b: Vec<u8>,
    /// b= as written, white space removed (for header.b, RFC 6008).
    pub b_text: Vec<u8>,
    /// l=: how many bytes of the canonical body were signed.
    pub length: Option<u64>,
    /// i=, as written.
    pub auid: Option<Vec<u8>>,
    pub timestamp: Option<u64>,
    pub expires: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SigError {
    #[error("bad tag list: {0}")]
    Tags(#[from] TagError),
    #[error("v= is not 1")]
    Version,
    #[error("missing {0}= tag")]
    Missing(&'static str),
    #[error("unsupported algorithm")]
    Algorithm,
    #[error("unsupported canonicalization")]
    Canon,
    #[error("unsupported query method")]
    Query,
    #[error("From is not signed")]
    NoFrom,
    #[error("bad h= list")]
    Headers,
    #[error("i= is not in d=")]
    AuidDomain,
    #[error("bad base64 in {0}=")]
    Base64(&'static str),
    #[error("bad number in {0}=")]
    Number(&'static str),
    #[error("bad d= or s=")]
    Name,
    #[error("x= is before t=")]
    Times,
}

fn number(v: &[u8], tag: &'static str) -> Result<u64, SigError> {
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return Err(SigError::Number(tag));
    }
    std::str::from_utf8(v)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(SigError::Number(tag))
}

fn no_fws(v: &[u8]) -> Vec<u8> {
    v.iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect()
}

/// Letters, digits, `-` and `_` in dot-separated non-empty labels (a selector may have
/// dots too): nothing that could make an odd DNS name or an odd header value.
fn dns_name_ok(s: &[u8]) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split(|&b| b == b'.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.iter()
                    .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn canon(v: &[u8]) -> Result<Canon, SigError> {
    match v.to_ascii_lowercase().as_slice() {
        b"simple" => Ok(Canon::Simple),
        b"relaxed" => Ok(Canon::Relaxed),
        _ => Err(SigError::Canon),
    }
}

/// Is `sub` `dom` or a subdomain of it (ASCII case ignored)?
pub fn in_domain(sub: &[u8], dom: &[u8]) -> bool {
    let sub = sub.to_ascii_lowercase();
    let dom = dom.to_ascii_lowercase();
    sub == dom
        || sub
            .strip_suffix(dom.as_slice())
            .is_some_and(|h| h.last() == Some(&b'.'))
}

impl Signature {
    /// Parse the value of a DKIM-Signature field (the text after its colon).
    pub fn parse(value: &[u8]) -> Result<Signature, SigError> {
        let t = tags::parse(value)?;
        let get = |n: &'static str| tags::get(&t, n.as_bytes());
        let need = |n: &'static str| get(n).ok_or(SigError::Missing(n));
        if need("v")? != b"1" {
            return Err(SigError::Version);
        }
        let algorithm = match need("a")?.to_ascii_lowercase().as_slice() {
            b"rsa-sha256" => Algorithm::RsaSha256,
            b"ed25519-sha256" => Algorithm::Ed25519Sha256,
            _ => return Err(SigError::Algorithm),
        };
        let b_text = no_fws(need("b")?);
        let b = base64::decode(&b_text).ok_or(SigError::Base64("b"))?;
        let bh = base64::decode(need("bh")?).ok_or(SigError::Base64("bh"))?;
        if b.is_empty() {
            return Err(SigError::Base64("b"));
        }
        if bh.len() != 32 {
            return Err(SigError::Base64("bh"));
        }
        let (header_canon, body_canon) = match get("c") {
            None => (Canon::Simple, Canon::Simple),
            Some(c) => match memchr::memchr(b'/', c) {
                Some(i) => (
                    canon(c.get(..i).unwrap_or_default())?,
                    canon(c.get(i.saturating_add(1)..).unwrap_or_default())?,
                ),
                None => (canon(c)?, Canon::Simple),
            },
        };
        let domain = need("d")?.to_ascii_lowercase();
        let selector = need("s")?.to_ascii_lowercase();
        if !dns_name_ok(&domain) || !dns_name_ok(&selector) {
            return Err(SigError::Name);
        }
        let mut headers = Vec::new();
        for h in need("h")?.split(|&b| b == b':') {
            let h = no_fws(h).to_ascii_lowercase();
            if h.is_empty() || !h.iter().all(|&b| b.is_ascii_graphic()) || headers.len() >= H_MAX {
                return Err(SigError::Headers);
            }
            headers.push(h);
        }
        if !headers.iter().any(|h| h == b"from") {
            return Err(SigError::NoFrom);
        }
        let auid = get("i").map(<[u8]>::to_vec);
        if let Some(i) = &auid {
            let at = memchr::memrchr(b'@', i).ok_or(SigError::AuidDomain)?;
            if !in_domain(i.get(at.saturating_add(1)..).unwrap_or_default(), &domain) {
                return Err(SigError::AuidDomain);
            }
        }
        if let Some(q) = get("q") {
            let dns = q
                .split(|&b| b == b':')
                .any(|m| no_fws(m).eq_ignore_ascii_case(b"dns/txt"));
            if !dns {
                return Err(SigError::Query);
            }
        }
        let length = get("l").map(|v| number(v, "l")).transpose()?;
        let timestamp = get("t").map(|v| number(v, "t")).transpose()?;
        let expires = get("x").map(|v| number(v, "x")).transpose()?;
        if let (Some(t), Some(x)) = (timestamp, expires) {
            if x < t {
                return Err(SigError::Times);
            }
        }
        Ok(Signature {
            algorithm,
            header_canon,
            body_canon,
            domain,
            selector,
            headers,
            bh,
            b,
            b_text,
            length,
            auid,
            timestamp,
            expires,
        })
    }

    /// The DNS name of the key: `selector._domainkey.domain`.
    pub fn key_name(&self) -> Vec<u8> {
        [&self.selector[..], b"._domainkey.", &self.domain].concat()
    }
}

/// The field's text with the value of its b= tag removed (RFC 6376 §3.7: everything
/// between `b=` and the next `;` or the end), for the header hash.
pub fn without_b(text: &[u8]) -> Vec<u8> {
    let colon = memchr::memchr(b':', text).map_or(0, |c| c.saturating_add(1));
    let mut start = colon;
    loop {
        let rest = text.get(start..).unwrap_or_default();
        let end = memchr::memchr(b';', rest).map_or(text.len(), |i| start.saturating_add(i));
        let part = text.get(start..end).unwrap_or_default();
        if let Some(eq) = memchr::memchr(b'=', part) {
            let name = part.get(..eq).unwrap_or_default();
            if no_fws(name) == b"b" {
                let cut = start.saturating_add(eq).saturating_add(1);
                return [
                    text.get(..cut).unwrap_or_default(),
                    text.get(end..).unwrap_or_default(),
                ]
                .concat();
            }
        }
        if end >= text.len() {
            return text.to_vec();
        }
        start = end.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &[u8] = b" v=1; a=rsa-sha256; c=relaxed/simple; d=Example.COM; s=sel;\r\n\th=From : To; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=dGVz\r\n dA==; l=10; i=joe@mail.example.com; t=5; x=9";

    #[test]
    fn parses() {
        let s = Signature::parse(SIG).unwrap();
        assert_eq!(s.algorithm, Algorithm::RsaSha256);
        assert_eq!(
            (s.header_canon, s.body_canon),
            (Canon::Relaxed, Canon::Simple)
        );
        assert_eq!(s.domain, b"example.com");
        assert_eq!(s.headers, vec![b"from".to_vec(), b"to".to_vec()]);
        assert_eq!(s.b, b"test");
        assert_eq!(s.b_text, b"dGVzdA==");
        assert_eq!(s.length, Some(10));
        assert_eq!(s.key_name(), b"sel._domainkey.example.com");
    }

    #[test]
    fn refuses() {
        let with = |from: &str, to: &str| {
            let s = String::from_utf8_lossy(SIG).replacen(from, to, 1);
            Signature::parse(s.as_bytes())
        };
        assert_eq!(with("v=1", "v=2"), Err(SigError::Version));
        assert_eq!(with("rsa-sha256", "rsa-sha1"), Err(SigError::Algorithm));
        assert_eq!(with("From : To", "To"), Err(SigError::NoFrom));
        assert_eq!(
            with("mail.example.com", "example.net"),
            Err(SigError::AuidDomain)
        );
        assert_eq!(
            with("mail.example.com", "badexample.com"),
            Err(SigError::AuidDomain)
        );
        assert_eq!(with("relaxed/simple", "odd"), Err(SigError::Canon));
        assert_eq!(with("x=9", "x=4"), Err(SigError::Times));
        assert_eq!(
            with("l=10", "l=99999999999999999999"),
            Err(SigError::Number("l"))
        );
        assert_eq!(with("s=sel", "s=a..b"), Err(SigError::Name));
        assert_eq!(with("s=sel", "s=a/b"), Err(SigError::Name));
        assert_eq!(with("; s=sel", ""), Err(SigError::Missing("s")));
        assert_eq!(with("b=dGVz", "b=!dGVz"), Err(SigError::Base64("b")));
        assert_eq!(
            with("c=relaxed/simple", "c=relaxed"),
            Ok(Signature {
                body_canon: Canon::Simple,
                ..Signature::parse(SIG).unwrap()
            })
        );
    }

    #[test]
    fn b_removed() {
        assert_eq!(
            without_b(b"DKIM-Signature: a=1; bh=x; b=abc\r\n def; d=e"),
            b"DKIM-Signature: a=1; bh=x; b=; d=e"
        );
        assert_eq!(
            without_b(b"DKIM-Signature: b = abc"),
            b"DKIM-Signature: b ="
        );
        assert_eq!(without_b(b"DKIM-Signature: a=1"), b"DKIM-Signature: a=1");
    }
}
