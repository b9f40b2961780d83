//! What check_host asks of DNS, and the answer classes SPF needs (§4.4, §4.6.4): records,
//! void (no such name, or no records of the type), or a temporary failure. In production
//! the questions go to qmail-rs's own resolver, with one deadline for a whole evaluation.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use qmail_dns::{DnsError, Resolver};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsFail {
    Void,
    Temp,
}

pub trait Dns {
    /// TXT records, each one's strings joined.
    fn txt(&mut self, name: &[u8]) -> Result<Vec<Vec<u8>>, DnsFail>;
    fn a(&mut self, name: &[u8]) -> Result<Vec<Ipv4Addr>, DnsFail>;
    fn aaaa(&mut self, name: &[u8]) -> Result<Vec<Ipv6Addr>, DnsFail>;
    /// The exchanges' names (the null MX `.` left out).
    fn mx(&mut self, name: &[u8]) -> Result<Vec<Vec<u8>>, DnsFail>;
    fn ptr(&mut self, ip: IpAddr) -> Result<Vec<Vec<u8>>, DnsFail>;
}

/// RFC 7208 §4.6.4 asks for at least 20 seconds for a whole evaluation.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// The resolver, with a deadline after which every question is a temporary failure.
pub struct ResolverDns {
    pub resolver: Resolver,
    pub deadline: Instant,
}

impl ResolverDns {
    pub fn new(resolver: Resolver, budget: Duration) -> ResolverDns {
        ResolverDns {
            resolver,
            deadline: Instant::now() + budget,
        }
    }

    fn ask<T>(&self, f: impl FnOnce(&Resolver) -> Result<T, DnsError>) -> Result<T, DnsFail> {
        if Instant::now() >= self.deadline {
            return Err(DnsFail::Temp);
        }
        match f(&self.resolver) {
            Ok(v) => Ok(v),
            // A name that cannot be asked (an empty or long label after macro expansion)
            // has no records.
            Err(DnsError::NxDomain | DnsError::NoData | DnsError::BadName(_)) => Err(DnsFail::Void),
            Err(DnsError::Soft) => Err(DnsFail::Temp),
        }
    }
}

impl Dns for ResolverDns {
    fn txt(&mut self, name: &[u8]) -> Result<Vec<Vec<u8>>, DnsFail> {
        self.ask(|r| r.txt(name))
    }

    fn a(&mut self, name: &[u8]) -> Result<Vec<Ipv4Addr>, DnsFail> {
        self.ask(|r| r.ip4(name))
    }

    fn aaaa(&mut self, name: &[u8]) -> Result<Vec<Ipv6Addr>, DnsFail> {
        self.ask(|r| r.ip6(name))
    }

    fn mx(&mut self, name: &[u8]) -> Result<Vec<Vec<u8>>, DnsFail> {
        let mx = self.ask(|r| r.mx(name))?;
        Ok(mx
            .into_iter()
            .map(|m| m.exchange.to_text())
            .filter(|n| n != b".")
            .collect())
    }

    fn ptr(&mut self, ip: IpAddr) -> Result<Vec<Vec<u8>>, DnsFail> {
        let names = self.ask(|r| r.ptr(ip))?;
        Ok(names.into_iter().map(|n| n.to_text()).collect())
    }
}
