//! rcpthosts: which recipient domains qmail-smtpd accepts (qmail-smtpd(8)).
//!
//! A domain is accepted when it, or any suffix of it that starts at a dot, is a line of
//! `control/rcpthosts` (ASCII case-insensitive) or a key of `control/morercpthosts.cdb`.
//! Without `control/rcpthosts` every domain is accepted (qmail's open-relay default), and
//! an address without `@` always is (qmail-send adds envnoathost).
use std::collections::HashSet;

/// `control/morercpthosts.cdb`, looked up by the program (reading it is I/O).
pub trait MoreRcptHosts {
    /// Is `host` (already lowercased) a key?
    fn contains(&self, host: &[u8]) -> Result<bool, LookupError>;
}

/// morercpthosts.cdb could not be read; qmail-smtpd then answers 421 and ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unable to read control/morercpthosts.cdb")]
pub struct LookupError;

/// The loaded controls.
#[derive(Default)]
pub struct RcptHosts {
    /// None: `control/rcpthosts` does not exist.
    hosts: Option<HashSet<Vec<u8>>>,
    more: Option<Box<dyn MoreRcptHosts>>,
}

impl std::fmt::Debug for RcptHosts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RcptHosts")
            .field("hosts", &self.hosts)
            .field("more", &self.more.is_some())
            .finish()
    }
}

impl RcptHosts {
    /// No `control/rcpthosts`: everything is accepted (morercpthosts.cdb is then unused).
    pub fn accept_all() -> RcptHosts {
        RcptHosts::default()
    }

    /// The lines of `control/rcpthosts` and, if it exists, morercpthosts.cdb.
    pub fn new(lines: Vec<Vec<u8>>, more: Option<Box<dyn MoreRcptHosts>>) -> RcptHosts {
        let hosts = lines
            .into_iter()
            .map(|mut l| {
                l.make_ascii_lowercase();
                l
            })
            .collect();
        RcptHosts {
            hosts: Some(hosts),
            more,
        }
    }

    /// May mail for `addr` be accepted?
    pub fn allowed(&self, addr: &[u8]) -> Result<bool, LookupError> {
        let Some(hosts) = &self.hosts else {
            return Ok(true);
        };
        let Some(at) = memchr::memrchr(b'@', addr) else {
            return Ok(true);
        };
        let host = addr
            .get(at.saturating_add(1)..)
            .unwrap_or_default()
            .to_ascii_lowercase();
        if candidates(&host).any(|c| hosts.contains(c)) {
            return Ok(true);
        }
        if let Some(more) = &self.more {
            for c in candidates(&host) {
                if more.contains(c)? {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }
}

/// The host itself, then every suffix that starts at a dot: `a.b.c`, `.b.c`, `.c`.
fn candidates(host: &[u8]) -> impl Iterator<Item = &[u8]> {
    host.iter()
        .enumerate()
        .filter(|&(j, &b)| j == 0 || b == b'.')
        .filter_map(move |(j, _)| host.get(j..))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    struct Keys(Vec<&'static str>, bool);
    impl MoreRcptHosts for Keys {
        fn contains(&self, host: &[u8]) -> Result<bool, LookupError> {
            if self.1 {
                return Err(LookupError);
            }
            Ok(self.0.iter().any(|k| k.as_bytes() == host))
        }
    }

    #[test]
    fn suffixes() {
        let c: Vec<&[u8]> = candidates(b"a.b.c").collect();
        assert_eq!(c, vec![&b"a.b.c"[..], b".b.c", b".c"]);
        assert_eq!(candidates(b"").count(), 0);
    }

    #[test]
    fn missing_file_accepts_everything() {
        let r = RcptHosts::accept_all();
        assert_eq!(r.allowed(b"victim@remote.example"), Ok(true));
    }

    #[test]
    fn exact_and_parent_matches() {
        let r = RcptHosts::new(
            lines(&["cmp.example", ".sub.example", "Upper.Example"]),
            None,
        );
        assert_eq!(r.allowed(b"u@cmp.example"), Ok(true));
        assert_eq!(r.allowed(b"u@CMP.EXAMPLE"), Ok(true));
        assert_eq!(r.allowed(b"u@upper.example"), Ok(true));
        assert_eq!(r.allowed(b"u@x.cmp.example"), Ok(false));
        assert_eq!(r.allowed(b"u@cmp.example."), Ok(false));
        assert_eq!(r.allowed(b"u@a.sub.example"), Ok(true));
        assert_eq!(r.allowed(b"u@a.b.sub.example"), Ok(true));
        assert_eq!(r.allowed(b"u@sub.example"), Ok(false));
        assert_eq!(r.allowed(b"u@remote.example"), Ok(false));
        assert_eq!(r.allowed(b"u@"), Ok(false));
        assert_eq!(r.allowed(b"noat"), Ok(true));
        assert_eq!(r.allowed(b""), Ok(true));
        assert_eq!(r.allowed(b"a@remote.example@cmp.example"), Ok(true));
        assert_eq!(r.allowed(b"u@cmp.example@remote.example"), Ok(false));
        assert_eq!(r.allowed(b"u@[127.0.0.1]"), Ok(false));
    }

    #[test]
    fn morercpthosts() {
        let more = Keys(vec!["more.example", ".deep.example"], false);
        let r = RcptHosts::new(lines(&["cmp.example"]), Some(Box::new(more)));
        assert_eq!(r.allowed(b"u@More.Example"), Ok(true));
        assert_eq!(r.allowed(b"u@x.deep.example"), Ok(true));
        assert_eq!(r.allowed(b"u@other.example"), Ok(false));
        let broken = RcptHosts::new(lines(&["cmp.example"]), Some(Box::new(Keys(vec![], true))));
        assert_eq!(broken.allowed(b"u@cmp.example"), Ok(true));
        assert_eq!(broken.allowed(b"u@other.example"), Err(LookupError));
    }
}
