//! qmail-remote's lookups through qmail-dns, the resolver created on first use (a
//! message routed to a literal address never reads resolv.conf).
use qmail_dns::{DnsError, Resolver, Tlsa};
use qmail_remote_core::mxip::{Dns, DnsFail};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Default)]
pub struct SysDns {
    resolver: Option<Resolver>,
    /// Each address found, the name it was found for (the name a server's
    /// certificate must carry), and whether the resolver validated the address records
    /// with DNSSEC (AD): only then are TLSA records looked up (RFC 7672 §2.2.2).
    names: Vec<(IpAddr, Vec<u8>, bool)>,
    /// AAAA records are asked for only when the host has IPv6 beyond its own links.
    pub ipv6: bool,
}

impl SysDns {
    /// The name `ip` was looked up under (the first, if several).
    pub fn name_of(&self, ip: IpAddr) -> Option<&[u8]> {
        self.names
            .iter()
            .find(|(a, _, _)| *a == ip)
            .map(|(_, n, _)| n.as_slice())
    }

    /// The name `ip` was found for, when the address records were DNSSEC-validated.
    pub fn secure_name_of(&self, ip: IpAddr) -> Option<Vec<u8>> {
        self.names
            .iter()
            .find(|(a, _, secure)| *a == ip && *secure)
            .map(|(_, n, _)| n.clone())
    }

    /// The TLSA records of `_PORT._tcp.HOST`, and whether they were validated.
    pub fn tlsa(&mut self, host: &[u8], port: u16) -> Result<(Vec<Tlsa>, bool), DnsError> {
        self.resolver().tlsa(host, port)
    }

    fn resolver(&mut self) -> &Resolver {
        self.resolver.get_or_insert_with(Resolver::system)
    }
}

fn fail(e: DnsError) -> DnsFail {
    if e.is_hard() {
        DnsFail::Hard
    } else {
        DnsFail::Soft
    }
}

impl Dns for SysDns {
    fn mx(&mut self, host: &[u8]) -> Result<Vec<(u16, Vec<u8>)>, DnsFail> {
        let list = self.resolver().mx(host).map_err(fail)?;
        Ok(list
            .into_iter()
            .map(|m| (m.pref, m.exchange.to_text()))
            .collect())
    }

    fn ip4(&mut self, host: &[u8]) -> Result<Vec<Ipv4Addr>, DnsFail> {
        let (list, secure) = self.resolver().ip4_dnssec(host).map_err(fail)?;
        for ip in &list {
            self.names.push((IpAddr::V4(*ip), host.to_vec(), secure));
        }
        Ok(list)
    }

    fn ip6(&mut self, host: &[u8]) -> Result<Vec<Ipv6Addr>, DnsFail> {
        if !self.ipv6 {
            return Ok(Vec::new());
        }
        let (list, secure) = self.resolver().ip6_dnssec(host).map_err(fail)?;
        for ip in &list {
            self.names.push((IpAddr::V6(*ip), host.to_vec(), secure));
        }
        Ok(list)
    }
}
