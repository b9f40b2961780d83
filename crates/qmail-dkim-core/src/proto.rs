//! The request qmail-dkim sends qmail-dkimsign over its local socket, and the answer.
//! The signer holds the keys and never sees the message: only the signing domain and
//! selector, t=, and what [`crate::sign::prepare`] computed. Netstrings, so nothing needs
//! quoting: `domain, selector, t, h names (colon-joined), bh, header data`. The answer is
//! one netstring: `K` and the DKIM-Signature field, or `Z` and a reason.
use crate::sign::Prepared;

/// The signer's socket and its key directory, under the qmail home.
pub const SOCKET: &str = "dkim/socket";
pub const KEYS: &str = "dkim/keys";

/// The largest request the signer reads (header data of a huge header is the bulk).
pub const REQUEST_MAX: usize = 4 << 20;
/// The largest answer qmail-dkim reads.
pub const ANSWER_MAX: usize = 64 << 10;

pub fn netstring(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(s.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(s);
    out.push(b',');
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub domain: Vec<u8>,
    pub selector: Vec<u8>,
    pub t: u64,
    pub prepared: Prepared,
}

impl Request {
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        netstring(&mut v, &self.domain);
        netstring(&mut v, &self.selector);
        netstring(&mut v, self.t.to_string().as_bytes());
        netstring(&mut v, &self.prepared.names.join(&b':'));
        netstring(&mut v, &self.prepared.bh);
        netstring(&mut v, &self.prepared.header_data);
        v
    }

    /// Untrusted bytes from any local user: None unless exactly six netstrings, a sane
    /// domain and selector (they name the key file) and a number for t.
    pub fn decode(mut data: &[u8]) -> Option<Request> {
        let mut f: Vec<&[u8]> = Vec::with_capacity(6);
        while !data.is_empty() {
            let (s, rest) = qmail_netstring::parse(data).ok()?;
            f.push(s);
            data = rest;
        }
        let [domain, selector, t, names, bh, header_data] = f.as_slice() else {
            return None;
        };
        if !name_ok(domain) || !name_ok(selector) {
            return None;
        }
        let t = std::str::from_utf8(t).ok()?.parse().ok()?;
        let names = if names.is_empty() {
            Vec::new()
        } else {
            names.split(|&b| b == b':').map(<[u8]>::to_vec).collect()
        };
        let names_ok = names
            .iter()
            .all(|n: &Vec<u8>| !n.is_empty() && n.iter().all(|&b| b.is_ascii_graphic()));
        if !names_ok || !bh.iter().all(|&b| b.is_ascii_graphic()) {
            return None;
        }
        Some(Request {
            domain: domain.to_ascii_lowercase(),
            selector: selector.to_ascii_lowercase(),
            t,
            prepared: Prepared {
                names,
                bh: bh.to_vec(),
                header_data: header_data.to_vec(),
            },
        })
    }

    /// The key file, relative to the signer's directory: `selector._domainkey.domain`.
    pub fn key_file(&self) -> Vec<u8> {
        [&self.selector[..], b"._domainkey.", &self.domain].concat()
    }
}

/// The signer's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The DKIM-Signature header field, LF line ends, ending in LF.
    Signed(Vec<u8>),
    /// Why not (one line of text).
    Failed(Vec<u8>),
}

impl Answer {
    pub fn encode(&self) -> Vec<u8> {
        let body = match self {
            Answer::Signed(f) => [&b"K"[..], f].concat(),
            Answer::Failed(r) => [&b"Z"[..], r].concat(),
        };
        let mut v = Vec::new();
        netstring(&mut v, &body);
        v
    }

    /// What the signer said, or None for anything but one netstring holding either a
    /// reason or a header field that cannot end the header or add another field: it
    /// goes into the message as it is.
    pub fn decode(data: &[u8]) -> Option<Answer> {
        let (s, rest) = qmail_netstring::parse(data).ok()?;
        if !rest.is_empty() {
            return None;
        }
        match s.split_first()? {
            (b'K', field) => field_ok(field).then(|| Answer::Signed(field.to_vec())),
            (b'Z', reason) => Some(Answer::Failed(
                reason
                    .iter()
                    .map(|&b| if b.is_ascii_graphic() { b } else { b' ' })
                    .collect(),
            )),
            _ => None,
        }
    }
}

/// One DKIM-Signature header field: every line ends in LF, every line after the first
/// is a continuation (starts with white space), no NUL or CR.
fn field_ok(field: &[u8]) -> bool {
    let Some(body) = field.strip_suffix(b"\n") else {
        return false;
    };
    field.starts_with(b"DKIM-Signature:")
        && !body.contains(&0)
        && !body.contains(&b'\r')
        && body.split(|&b| b == b'\n').skip(1).all(|l| {
            matches!(l.first(), Some(b' ' | b'\t')) && l.iter().any(|&b| b != b' ' && b != b'\t')
        })
}

/// A DNS label sequence: letters, digits, `-`, `_` and inner dots; so a key file name
/// built from it stays in the signer's directory.
pub fn name_ok(s: &[u8]) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.first() != Some(&b'.')
        && s.last() != Some(&b'.')
        && !s.windows(2).any(|w| w == b"..")
        && s.iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let r = Request {
            domain: b"Example.COM".to_vec(),
            selector: b"sel".to_vec(),
            t: 17,
            prepared: Prepared {
                names: vec![b"from".to_vec(), b"to".to_vec()],
                bh: b"abc=".to_vec(),
                header_data: b"from:x\r\n".to_vec(),
            },
        };
        let d = Request::decode(&r.encode()).unwrap();
        assert_eq!(d.domain, b"example.com");
        assert_eq!(d.prepared, r.prepared);
        assert_eq!(d.key_file(), b"sel._domainkey.example.com");
        let mut bad = r.clone();
        bad.domain = b"../etc".to_vec();
        assert_eq!(Request::decode(&bad.encode()), None);
        bad.domain = b"a/b".to_vec();
        assert_eq!(Request::decode(&bad.encode()), None);
        assert_eq!(Request::decode(b"3:abc,"), None);
        assert_eq!(Request::decode(b"garbage"), None);
    }

    #[test]
    fn answers() {
        let ok = Answer::Signed(b"DKIM-Signature: v=1;\n\tb=x\n".to_vec());
        assert_eq!(Answer::decode(&ok.encode()), Some(ok));
        let z = Answer::Failed(b"no key".to_vec());
        assert_eq!(Answer::decode(&z.encode()), Some(z));
        for bad in [
            &b"DKIM-Signature: v=1;\n\n"[..],
            b"DKIM-Signature: v=1;\nTo: x\n",
            b"DKIM-Signature: v=1;",
            b"DKIM-Signature: v=1;\r\n",
            b"X: y\n",
            b"DKIM-Signature: v=1;\n \n",
        ] {
            let mut v = Vec::new();
            netstring(&mut v, &[&b"K"[..], bad].concat());
            assert_eq!(Answer::decode(&v), None, "{bad:?}");
        }
        assert_eq!(Answer::decode(b"1:K,x"), None);
    }
}
