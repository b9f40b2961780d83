//! qmail-send's recipient rewriting: envnoathost, percenthack, locals,
//! virtualdomains. Also the inverse used in bounces: strip a virtualdomains prepend again.
//! qmail-smtpd uses the same rules to find the local part qmail-lspawn would be given
//! (recipient checking).
use crate::constmap::ConstMap;
use crate::control::{self, ControlError, Me};

/// Which delivery channel an address goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Local,
    Remote,
}

/// The controls rewriting depends on (locals and virtualdomains are reread on HUP).
pub struct Rewrite {
    pub envnoathost: Vec<u8>,
    pub percenthack: ConstMap,
    pub locals: ConstMap,
    pub vdoms: ConstMap,
}

/// The rewriting controls could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RewriteError {
    #[error(transparent)]
    Control(#[from] ControlError),
    #[error("no control/locals and no control/me")]
    NoLocals,
}

impl Rewrite {
    /// Read the controls (relative to the qmail home), as qmail-send does at start.
    pub fn read(me: &Me) -> Result<Rewrite, RewriteError> {
        Ok(Rewrite {
            envnoathost: me.rldef("control/envnoathost", b"envnoathost")?,
            percenthack: ConstMap::new(
                &control::readfile("control/percenthack")?.unwrap_or_default(),
                false,
            ),
            locals: locals(me)?,
            vdoms: vdoms()?,
        })
    }

    /// SIGHUP: read locals and virtualdomains again; keep the old maps when a file cannot
    /// be read. Returns the text of each alert to log.
    pub fn reread(&mut self, me: &Me) -> Vec<&'static str> {
        let mut alerts = Vec::new();
        match locals(me) {
            Ok(m) => self.locals = m,
            Err(_) => alerts.push("unable to reread control/locals"),
        }
        match vdoms() {
            Ok(m) => self.vdoms = m,
            Err(_) => alerts.push("unable to reread control/virtualdomains"),
        }
        alerts
    }
}

/// `control/locals`; when missing, the single entry `me`; neither → no rewriting.
pub fn locals(me: &Me) -> Result<ConstMap, RewriteError> {
    let lines = match control::readfile("control/locals")? {
        Some(l) => l,
        None => vec![me.0.clone().ok_or(RewriteError::NoLocals)?],
    };
    Ok(ConstMap::new(&lines, false))
}

/// `control/virtualdomains`.
pub fn vdoms() -> Result<ConstMap, RewriteError> {
    Ok(ConstMap::new(
        &control::readfile("control/virtualdomains")?.unwrap_or_default(),
        true,
    ))
}

fn rat(s: &[u8]) -> Option<usize> {
    s.iter().rposition(|&b| b == b'@')
}

impl Rewrite {
    /// Where `recip` goes and the address stored in the channel file.
    pub fn rewrite(&self, recip: &[u8]) -> (Channel, Vec<u8>) {
        let mut addr = recip.to_vec();
        if rat(&addr).is_none() {
            addr.push(b'@');
            addr.extend_from_slice(&self.envnoathost);
        }
        // u%h@dom -> u@h while dom is in percenthack.
        while let Some(at) = rat(&addr) {
            if !self.percenthack.contains(addr.get(at + 1..).unwrap_or(&[])) {
                break;
            }
            let Some(pct) = addr
                .get(..at)
                .and_then(|l| l.iter().rposition(|&b| b == b'%'))
            else {
                break;
            };
            addr.truncate(at);
            if let Some(b) = addr.get_mut(pct) {
                *b = b'@';
            }
        }
        let at = rat(&addr).unwrap_or(0);
        let domain = addr.get(at + 1..).unwrap_or(&[]).to_vec();
        if self.locals.contains(&domain) {
            return (Channel::Local, addr);
        }
        if let Some(p) = self.vdoms.get(&addr) {
            return prepend(p, addr);
        }
        for i in 0..=domain.len() {
            if i == 0 || i == domain.len() || domain.get(i) == Some(&b'.') {
                if let Some(p) = self.vdoms.get(domain.get(i..).unwrap_or(&[])) {
                    return prepend(p, addr);
                }
            }
        }
        (Channel::Remote, addr)
    }

    /// The recipient as shown in a bounce: `P-` removed again if the domain (exact,
    /// `.suffix` or the catch-all, not the whole-address form) maps to prepend P.
    pub fn strip_prepend<'a>(&self, recip: &'a [u8]) -> &'a [u8] {
        let Some(at) = rat(recip) else { return recip };
        let domain = recip.get(at + 1..).unwrap_or(&[]);
        let mut prepend = None;
        for i in 0..=domain.len() {
            if i == 0 || i == domain.len() || domain.get(i) == Some(&b'.') {
                if let Some(p) = self.vdoms.get(domain.get(i..).unwrap_or(&[])) {
                    prepend = Some(p);
                    break;
                }
            }
        }
        let Some(p) = prepend else { return recip };
        match recip.strip_prefix(p).and_then(|r| r.strip_prefix(b"-")) {
            Some(rest) => rest,
            None => recip,
        }
    }
}

/// An empty value is an exception: not virtual, so remote.
fn prepend(p: &[u8], addr: Vec<u8>) -> (Channel, Vec<u8>) {
    if p.is_empty() {
        return (Channel::Remote, addr);
    }
    (Channel::Local, [p, b"-", &addr].concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(lines: &[&str], colon: bool) -> ConstMap {
        let v: Vec<Vec<u8>> = lines.iter().map(|l| l.as_bytes().to_vec()).collect();
        ConstMap::new(&v, colon)
    }

    fn rw() -> Rewrite {
        Rewrite {
            envnoathost: b"me.example".to_vec(),
            percenthack: map(&["hack.example"], false),
            locals: map(&["me.example", "Local.Example"], false),
            vdoms: map(
                &[
                    "nowhere.mil:joe-foo",
                    ".fax:faxer",
                    "except.nowhere.mil:",
                    "joe@virt.example:joey",
                    "virt.example:v",
                ],
                true,
            ),
        }
    }

    fn go(a: &str) -> (Channel, String) {
        let (c, v) = rw().rewrite(a.as_bytes());
        (c, String::from_utf8(v).unwrap_or_default())
    }

    #[test]
    fn rewriting() {
        use Channel::{Local, Remote};
        assert_eq!(go("root"), (Local, "root@me.example".into()));
        assert_eq!(go("U@LOCAL.example"), (Local, "U@LOCAL.example".into()));
        assert_eq!(go("a@other.example"), (Remote, "a@other.example".into()));
        assert_eq!(
            go("u%h.example@hack.example"),
            (Remote, "u@h.example".into())
        );
        assert_eq!(
            go("u%x%me.example@hack.example"),
            (Local, "u%x@me.example".into())
        );
        assert_eq!(go("u@hack.example"), (Remote, "u@hack.example".into()));
        assert_eq!(
            go("info@nowhere.mil"),
            (Local, "joe-foo-info@nowhere.mil".into())
        );
        assert_eq!(
            go("info@sub.nowhere.mil"),
            (Remote, "info@sub.nowhere.mil".into())
        );
        assert_eq!(
            go("x@except.nowhere.mil"),
            (Remote, "x@except.nowhere.mil".into())
        );
        assert_eq!(go("x@a.b.fax"), (Local, "faxer-x@a.b.fax".into()));
        assert_eq!(go("x@fax"), (Remote, "x@fax".into()));
        assert_eq!(
            go("JOE@virt.example"),
            (Local, "joey-JOE@virt.example".into())
        );
        assert_eq!(go("ann@virt.example"), (Local, "v-ann@virt.example".into()));
        assert_eq!(go("@"), (Remote, "@".into()));
    }

    #[test]
    fn catch_all_and_strip() {
        let mut r = rw();
        r.vdoms = map(&["nowhere.mil:joe-foo", ":all"], true);
        assert_eq!(r.rewrite(b"a@b.example").1, b"all-a@b.example");
        assert_eq!(r.strip_prepend(b"all-a@b.example"), b"a@b.example");
        assert_eq!(
            r.strip_prepend(b"joe-foo-info@nowhere.mil"),
            b"info@nowhere.mil"
        );
        assert_eq!(
            r.strip_prepend(b"other-info@nowhere.mil"),
            b"other-info@nowhere.mil"
        );
        assert_eq!(r.strip_prepend(b"noat"), b"noat");
        // The whole-address form is not considered when stripping.
        let r = rw();
        assert_eq!(
            r.strip_prepend(b"joey-JOE@virt.example"),
            b"joey-JOE@virt.example"
        );
    }
}
