//! An SPF record (RFC 7208 §4.6, §12): `v=spf1` and terms separated by spaces. The whole
//! record is parsed before anything is evaluated, so a syntax error anywhere is a
//! permerror (§4.6). Untrusted bytes from anyone's DNS.
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::macros::MacroString;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    Pass,
    Fail,
    SoftFail,
    Neutral,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mechanism {
    All,
    Include(MacroString),
    /// Domain (None: the current one), IPv4 prefix length, IPv6 prefix length.
    A(Option<MacroString>, u8, u8),
    Mx(Option<MacroString>, u8, u8),
    Ptr(Option<MacroString>),
    Ip4(Ipv4Addr, u8),
    Ip6(Ipv6Addr, u8),
    Exists(MacroString),
}

impl Mechanism {
    /// Does evaluating it query DNS (and so count against the limit of 10, §4.6.4)?
    pub fn queries_dns(&self) -> bool {
        !matches!(
            self,
            Mechanism::All | Mechanism::Ip4(..) | Mechanism::Ip6(..)
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub qualifier: Qualifier,
    pub mechanism: Mechanism,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Record {
    pub directives: Vec<Directive>,
    pub redirect: Option<MacroString>,
    pub exp: Option<MacroString>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("not an SPF record")]
    NotSpf,
    #[error("unknown mechanism {0}")]
    Unknown(String),
    #[error("syntax error in {0}")]
    Syntax(String),
    #[error("{0} given twice")]
    Twice(&'static str),
}

/// Does this TXT record claim to be SPF (`v=spf1` then a space or the end, §4.5)?
pub fn is_spf(txt: &[u8]) -> bool {
    let Some(v) = txt.get(..6) else { return false };
    v.eq_ignore_ascii_case(b"v=spf1") && matches!(txt.get(6), None | Some(b' '))
}

fn syntax(term: &[u8]) -> RecordError {
    RecordError::Syntax(String::from_utf8_lossy(term).into_owned())
}

/// `/n` with n in 0..=max, no leading zero (§12).
fn cidr(s: &[u8], max: u8) -> Option<u8> {
    if s.is_empty() || s.len() > 3 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if s.len() > 1 && s.first() == Some(&b'0') {
        return None;
    }
    let n: u32 = std::str::from_utf8(s).ok()?.parse().ok()?;
    u8::try_from(n).ok().filter(|&n| n <= max)
}

/// Split `[domain][/4][//6]` into the domain part and the two prefix lengths.
fn dual_cidr(arg: &[u8], term: &[u8]) -> Result<(Option<MacroString>, u8, u8), RecordError> {
    let (mut rest, mut v4, mut v6) = (arg, 32u8, 128u8);
    if let Some(i) = find(rest, b"//") {
        v6 = cidr(rest.get(i.saturating_add(2)..).unwrap_or_default(), 128)
            .ok_or_else(|| syntax(term))?;
        rest = rest.get(..i).unwrap_or_default();
    }
    if let Some(i) = rest.iter().rposition(|&b| b == b'/') {
        let tail = rest.get(i.saturating_add(1)..).unwrap_or_default();
        // A slash followed by digits at the end is the IPv4 length; any other slash
        // belongs to the domain-spec (and fails its syntax check below).
        if !tail.is_empty() && tail.iter().all(u8::is_ascii_digit) {
            v4 = cidr(tail, 32).ok_or_else(|| syntax(term))?;
            rest = rest.get(..i).unwrap_or_default();
        }
    }
    let domain = match rest {
        [] => None,
        [b':', d @ ..] => Some(domain_spec(d, term)?),
        _ => return Err(syntax(term)),
    };
    Ok((domain, v4, v6))
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

/// A domain-spec: a macro-string whose literal end is a valid top label (§7.1, §12).
fn domain_spec(s: &[u8], term: &[u8]) -> Result<MacroString, RecordError> {
    let m = MacroString::parse(s, false).map_err(|_| syntax(term))?;
    if !m.domain_end_ok() {
        return Err(syntax(term));
    }
    Ok(m)
}

fn required_domain(arg: &[u8], term: &[u8]) -> Result<MacroString, RecordError> {
    match arg {
        [b':', d @ ..] if !d.is_empty() => domain_spec(d, term),
        _ => Err(syntax(term)),
    }
}

fn mechanism(name: &[u8], arg: &[u8], term: &[u8]) -> Result<Mechanism, RecordError> {
    let name = name.to_ascii_lowercase();
    Ok(match name.as_slice() {
        b"all" if arg.is_empty() => Mechanism::All,
        b"include" => Mechanism::Include(required_domain(arg, term)?),
        b"exists" => Mechanism::Exists(required_domain(arg, term)?),
        b"a" => {
            let (d, v4, v6) = dual_cidr(arg, term)?;
            Mechanism::A(d, v4, v6)
        }
        b"mx" => {
            let (d, v4, v6) = dual_cidr(arg, term)?;
            Mechanism::Mx(d, v4, v6)
        }
        b"ptr" => match arg {
            [] => Mechanism::Ptr(None),
            _ => Mechanism::Ptr(Some(required_domain(arg, term)?)),
        },
        b"ip4" => {
            let [b':', a @ ..] = arg else {
                return Err(syntax(term));
            };
            let (addr, len) = match a.iter().position(|&b| b == b'/') {
                Some(i) => (
                    a.get(..i).unwrap_or_default(),
                    cidr(a.get(i.saturating_add(1)..).unwrap_or_default(), 32)
                        .ok_or_else(|| syntax(term))?,
                ),
                None => (a, 32),
            };
            let addr = std::str::from_utf8(addr)
                .ok()
                .and_then(|s| s.parse::<Ipv4Addr>().ok())
                .ok_or_else(|| syntax(term))?;
            Mechanism::Ip4(addr, len)
        }
        b"ip6" => {
            let [b':', a @ ..] = arg else {
                return Err(syntax(term));
            };
            let (addr, len) = match a.iter().position(|&b| b == b'/') {
                Some(i) => (
                    a.get(..i).unwrap_or_default(),
                    cidr(a.get(i.saturating_add(1)..).unwrap_or_default(), 128)
                        .ok_or_else(|| syntax(term))?,
                ),
                None => (a, 128),
            };
            let addr = std::str::from_utf8(addr)
                .ok()
                .and_then(|s| s.parse::<Ipv6Addr>().ok())
                .ok_or_else(|| syntax(term))?;
            Mechanism::Ip6(addr, len)
        }
        b"all" => return Err(syntax(term)),
        _ => {
            return Err(RecordError::Unknown(
                String::from_utf8_lossy(term).into_owned(),
            ))
        }
    })
}

fn is_name(n: &[u8]) -> bool {
    n.first().is_some_and(u8::is_ascii_alphabetic)
        && n.iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl Record {
    pub fn parse(txt: &[u8]) -> Result<Record, RecordError> {
        if !is_spf(txt) {
            return Err(RecordError::NotSpf);
        }
        let mut r = Record::default();
        for term in txt.get(6..).unwrap_or_default().split(|&b| b == b' ') {
            if term.is_empty() {
                continue;
            }
            // A modifier is `name=`; a mechanism's name ends at `:` or `/`.
            let eq = term.iter().position(|&b| b == b'=');
            let stop = term.iter().position(|&b| b == b':' || b == b'/');
            if let Some(eq) = eq.filter(|&e| !matches!(stop, Some(s) if s < e)) {
                let name = term.get(..eq).unwrap_or_default();
                let value = term.get(eq.saturating_add(1)..).unwrap_or_default();
                if !is_name(name) {
                    return Err(syntax(term));
                }
                match name.to_ascii_lowercase().as_slice() {
                    b"redirect" => {
                        if r.redirect.is_some() {
                            return Err(RecordError::Twice("redirect"));
                        }
                        r.redirect = Some(domain_spec(value, term)?);
                    }
                    b"exp" => {
                        if r.exp.is_some() {
                            return Err(RecordError::Twice("exp"));
                        }
                        r.exp = Some(domain_spec(value, term)?);
                    }
                    // Unknown modifiers are ignored, but must be macro-strings (§6).
                    _ => {
                        MacroString::parse(value, false).map_err(|_| syntax(term))?;
                    }
                }
                continue;
            }
            let (qualifier, rest) = match term.split_first() {
                Some((b'+', r)) => (Qualifier::Pass, r),
                Some((b'-', r)) => (Qualifier::Fail, r),
                Some((b'~', r)) => (Qualifier::SoftFail, r),
                Some((b'?', r)) => (Qualifier::Neutral, r),
                _ => (Qualifier::Pass, term),
            };
            let end = rest
                .iter()
                .position(|&b| b == b':' || b == b'/')
                .unwrap_or(rest.len());
            let name = rest.get(..end).unwrap_or_default();
            let arg = rest.get(end..).unwrap_or_default();
            let mechanism = mechanism(name, arg, term)?;
            r.directives.push(Directive {
                qualifier,
                mechanism,
            });
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        let r = Record::parse(
            b"v=spf1 +a mx/24 -ptr:x.example ip4:192.0.2.0/24 ip6:2001:db8::/32 ~include:_spf.example.org a:h.example//64 exists:%{i}.x.example ?all redirect=r.example exp=e.example x-y=z",
        )
        .unwrap();
        assert_eq!(r.directives.len(), 9);
        assert_eq!(
            r.directives[3].mechanism,
            Mechanism::Ip4(Ipv4Addr::new(192, 0, 2, 0), 24)
        );
        assert!(matches!(
            r.directives[1].mechanism,
            Mechanism::Mx(None, 24, 128)
        ));
        assert!(matches!(
            r.directives[6].mechanism,
            Mechanism::A(Some(_), 32, 64)
        ));
        assert_eq!(r.directives[2].qualifier, Qualifier::Fail);
        assert!(r.redirect.is_some() && r.exp.is_some());
    }

    #[test]
    fn refuses() {
        for bad in [
            &b"v=spf1 foo"[..],
            b"v=spf1 a:",
            b"v=spf1 ip4:1.2.3.4/33",
            b"v=spf1 ip4:1.2.3",
            b"v=spf1 a/024",
            b"v=spf1 redirect=a.example redirect=b.example",
            b"v=spf1 -all:x",
            b"v=spf1 include",
            b"v=spf1 a:example.123",
            b"v=spf1 1x=y",
            b"v=spf1 x=%",
        ] {
            assert!(
                Record::parse(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(Record::parse(b"v=spf10"), Err(RecordError::NotSpf));
        assert!(Record::parse(b"v=spf1").unwrap().directives.is_empty());
        assert!(Record::parse(b"V=SPF1  ALL ").is_ok());
    }
}
