//! From a host name to the ordered list of IPv4 addresses to try (qmail's `dns_ip` and
//! `dns_mxip`), and the "is that me?" cut-off.
//!
//! - A literal `a.b.c.d` or `[a.b.c.d]` is used as is, preference 0.
//! - Otherwise the MX records are taken lowest preference first; among equal preferences
//!   the order is pseudo-random (qmail's reservoir choice with the LCG `r = r*69069+1`,
//!   kept in 32 bits as on the machines qmail was written for: with a 64-bit `unsigned
//!   long` notqmail's comparison is almost never true and equal MXes are never shuffled).
//!   Each exchanger's A records get its preference. A soft failure on one exchanger is
//!   remembered and the others are still tried; hard failures are skipped.
//! - No MX record at all (hard failure, or an answer with only a CNAME): the A records of
//!   the host itself, preference 0.
use std::net::Ipv4Addr;

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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpPref {
    pub ip: Ipv4Addr,
    pub pref: u32,
}

/// The default "me" preference: above any MX preference (16 bits).
pub const PREFME_NONE: u32 = 100_000;
/// With an smtproutes relay nothing counts as "me".
pub const PREFME_RELAY: u32 = 300_000;

/// `a.b.c.d` or `[a.b.c.d]`, each part 1 to 3 decimal digits worth at most 255.
pub fn literal(host: &[u8]) -> Option<Ipv4Addr> {
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
    Ok(dns
        .ip4(host)?
        .into_iter()
        .map(|ip| IpPref { ip, pref })
        .collect())
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
pub fn prefme(list: &[IpPref], is_me: impl Fn(Ipv4Addr) -> bool) -> u32 {
    list.iter()
        .filter(|x| is_me(x.ip))
        .map(|x| x.pref)
        .fold(PREFME_NONE, u32::min)
}

#[cfg(test)]
mod tests;
