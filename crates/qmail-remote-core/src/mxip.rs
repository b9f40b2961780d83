//! From a host name to the ordered list of addresses to try (qmail's `dns_ip` and
//! `dns_mxip`, with IPv6), and the "is that me?" cut-off.
//!
//! - A literal `a.b.c.d`, `[a.b.c.d]` or `[IPv6:…]` is used as is, preference 0.
//! - Otherwise the MX records are taken lowest preference first; among equal preferences
//!   the order is pseudo-random (qmail's reservoir choice with the LCG `r = r*69069+1`,
//!   kept in 32 bits as on the machines qmail was written for: with a 64-bit `unsigned
//!   long` notqmail's comparison is almost never true and equal MXes are never shuffled).
//!   Each exchanger's AAAA records, then its A records, get its preference. A soft failure on one exchanger is
//!   remembered and the others are still tried; hard failures are skipped.
//! - No MX record at all (hard failure, or an answer with only a CNAME): the A records of
//!   the host itself, preference 0.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DnsFail {
    /// Temporary (qmail's DNS_SOFT; also out of memory).
    Soft,
    /// Permanent (DNS_HARD): no such name, no data, a name that cannot be asked.
    Hard,
}

/// The lookups this module needs; qmail-remote implements it with qmail-dns.
pub trait Dns {
    /// (preference, exchange name) pairs, in answer order.
    fn mx(&mut self, host: &[u8]) -> Result<Vec<(u16, Vec<u8>)>, DnsFail>;
    fn ip4(&mut self, host: &[u8]) -> Result<Vec<Ipv4Addr>, DnsFail>;
    /// AAAA records; an implementation that cannot use IPv6 answers none without asking.
    fn ip6(&mut self, _host: &[u8]) -> Result<Vec<Ipv6Addr>, DnsFail> {
        Ok(Vec::new())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpPref {
    pub ip: IpAddr,
    pub pref: u32,
}

/// The default "me" preference: above any MX preference (16 bits).
pub const PREFME_NONE: u32 = 100_000;
/// With an smtproutes relay nothing counts as "me".
pub const PREFME_RELAY: u32 = 300_000;

/// `a.b.c.d` or `[a.b.c.d]`, each part 1 to 3 decimal digits worth at most 255, or
/// `[IPv6:…]` (RFC 5321 §4.1.3, the tag without regard to case).
pub fn literal(host: &[u8]) -> Option<IpAddr> {
    if let Some(inner) = host.strip_prefix(b"[").and_then(|h| h.strip_suffix(b"]")) {
        if let Some((tag, addr)) = inner.split_at_checked(5) {
            if tag.eq_ignore_ascii_case(b"IPv6:") {
                let text = std::str::from_utf8(addr).ok()?;
                return text.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
            }
        }
    }
    literal4(host).map(IpAddr::V4)
}

fn literal4(host: &[u8]) -> Option<Ipv4Addr> {
    let inner = match host.strip_prefix(b"[") {
        Some(rest) => rest.strip_suffix(b"]")?,
        None => host,
    };
    let mut octets = [0u8; 4];
    let mut parts = inner.split(|&b| b == b'.');
    for o in &mut octets {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || !p.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let v = p.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
        *o = u8::try_from(v).ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(Ipv4Addr::from(octets))
}

/// The addresses of one host name with preference `pref` (qmail's `dns_ipplus`).
pub fn ip(dns: &mut dyn Dns, host: &[u8], pref: u32) -> Result<Vec<IpPref>, DnsFail> {
    if let Some(ip) = literal(host) {
        return Ok(vec![IpPref { ip, pref }]);
    }
    // IPv6 first. One family failing does not hide the other; both failing is soft if
    // either failure was.
    let v6 = dns.ip6(host);
    let v4 = dns.ip4(host);
    let mut out: Vec<IpPref> = Vec::new();
    if let Ok(list) = &v6 {
        out.extend(list.iter().map(|&ip| IpPref {
            ip: IpAddr::V6(ip),
            pref,
        }));
    }
    if let Ok(list) = &v4 {
        out.extend(list.iter().map(|&ip| IpPref {
            ip: IpAddr::V4(ip),
            pref,
        }));
    }
    match (v6, v4) {
        (_, Ok(_)) | (Ok(_), _) if !out.is_empty() => Ok(out),
        (Err(DnsFail::Soft), _) | (_, Err(DnsFail::Soft)) => Err(DnsFail::Soft),
        (_, Ok(_)) => Ok(out),
        _ => Err(DnsFail::Hard),
    }
}

/// The pseudo-random sequence used to order equal preferences.
pub struct Lcg(pub u32);

impl Lcg {
    /// qmail's seed: the time plus the pid shifted left 16 bits.
    pub fn seed(now: u64, pid: u32) -> Lcg {
        Lcg((now as u32).wrapping_add(pid << 16))
    }
    fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(69069).wrapping_add(1);
        self.0
    }
}

pub fn mxip(dns: &mut dyn Dns, host: &[u8], random: &mut Lcg) -> Result<Vec<IpPref>, DnsFail> {
    if let Some(ip) = literal(host) {
        return Ok(vec![IpPref { ip, pref: 0 }]);
    }
    let mut mx = match dns.mx(host) {
        Err(DnsFail::Soft) => return Err(DnsFail::Soft),
        Err(DnsFail::Hard) => return self::ip(dns, host, 0),
        Ok(mx) if mx.is_empty() => return self::ip(dns, host, 0),
        Ok(mx) => mx,
    };
    let mut out = Vec::new();
    let mut soft = false;
    while !mx.is_empty() {
        let mut pick = 0usize;
        let mut numsame: u32 = 1;
        for j in 1..mx.len() {
            let (Some(pj), Some(pi)) = (mx.get(j), mx.get(pick)) else {
                break;
            };
            if pj.0 < pi.0 {
                pick = j;
                numsame = 1;
            } else if pj.0 == pi.0 {
                numsame = numsame.saturating_add(1);
                if random.next() / 2 < 2_147_483_647 / numsame {
                    pick = j;
                }
            }
        }
        let (pref, name) = mx.swap_remove(pick);
        match self::ip(dns, &name, u32::from(pref)) {
            Ok(list) => out.extend(list),
            Err(DnsFail::Soft) => soft = true,
            Err(DnsFail::Hard) => {}
        }
    }
    if out.is_empty() && soft {
        return Err(DnsFail::Soft);
    }
    Ok(out)
}

/// The lowest preference among addresses that are this host (`PREFME_NONE` if none).
/// Only addresses with a preference below it may be used: sending to an equal or worse
/// MX than ourselves would loop.
pub fn prefme(list: &[IpPref], is_me: impl Fn(IpAddr) -> bool) -> u32 {
    list.iter()
        .filter(|x| is_me(x.ip))
        .map(|x| x.pref)
        .fold(PREFME_NONE, u32::min)
}

#[cfg(test)]
mod tests;
