//! control/dkimdomains: which domains are signed, with which selectors. One
//! `domain:selector` per line; a domain on several lines is signed once per selector
//! (an Ed25519 and an RSA signature, say, RFC 8463 §4). Domains match exactly, without
//! regard to case.
use crate::proto::name_ok;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domains {
    lines: Vec<(Vec<u8>, Vec<u8>)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad line in control/dkimdomains: {0}")]
pub struct DomainsError(pub String);

impl Domains {
    /// The file's entries (already split into stripped lines, comments removed).
    pub fn parse(lines: &[Vec<u8>]) -> Result<Domains, DomainsError> {
        let mut out = Vec::new();
        for line in lines {
            let bad = || DomainsError(String::from_utf8_lossy(line).into_owned());
            let colon = memchr::memchr(b':', line).ok_or_else(bad)?;
            let domain = line.get(..colon).ok_or_else(bad)?.to_ascii_lowercase();
            let selector = line
                .get(colon.saturating_add(1)..)
                .ok_or_else(bad)?
                .to_ascii_lowercase();
            if !name_ok(&domain) || !name_ok(&selector) {
                return Err(bad());
            }
            if !out.contains(&(domain.clone(), selector.clone())) {
                out.push((domain, selector));
            }
        }
        Ok(Domains { lines: out })
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The most selectors any one domain has (how many signatures a message can get).
    pub fn most_selectors(&self) -> usize {
        self.lines
            .iter()
            .map(|(d, _)| self.selectors(d).len())
            .max()
            .unwrap_or(0)
    }

    /// The selectors of `domain`, in file order.
    pub fn selectors(&self, domain: &[u8]) -> Vec<&[u8]> {
        self.lines
            .iter()
            .filter(|(d, _)| d.eq_ignore_ascii_case(domain))
            .map(|(_, s)| s.as_slice())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let l = |s: &str| s.as_bytes().to_vec();
        let d = Domains::parse(&[l("Example.com:ed"), l("example.com:rsa"), l("b.example:s")])
            .unwrap_or_else(|_| Domains { lines: vec![] });
        assert_eq!(d.selectors(b"EXAMPLE.com"), vec![&b"ed"[..], b"rsa"]);
        assert!(d.selectors(b"c.example").is_empty());
        assert!(Domains::parse(&[l("example.com")]).is_err());
        assert!(Domains::parse(&[l("example.com:../x")]).is_err());
        assert!(Domains::parse(&[l(":sel")]).is_err());
    }
}
