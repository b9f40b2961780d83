//! qmail-remote's lookups through qmail-dns, the resolver created on first use (a
//! message routed to a literal address never reads resolv.conf).
use qmail_dns::{DnsError, Resolver};
use qmail_remote_core::mxip::{Dns, DnsFail};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Default)]
pub struct SysDns {
    resolver: Option<Resolver>,
    /// Each address found and the name it was found for: the name a server's
    /// certificate must carry.
    names: Vec<(IpAddr, Vec<u8>)>,
    /// AAAA records are asked for only when the host has IPv6 beyond its own links.
    pub ipv6: bool,
}

impl SysDns {
    /// The name `ip` was looked up under (the first, if several).
    pub fn name_of(&self, ip: IpAddr) -> Option<&[u8]> {
        self.names
            .iter()
            .find(|(a, _)| *a == ip)
            .map(|(_, n)| n.as_slice())
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
        let list = self.resolver().ip4(host).map_err(fail)?;
        for ip in &list {
            self.names.push((IpAddr::V4(*ip), host.to_vec()));
        }
        Ok(list)
    }

    fn ip6(&mut self, host: &[u8]) -> Result<Vec<Ipv6Addr>, DnsFail> {
        if !self.ipv6 {
            return Ok(Vec::new());
        }
        let list = self.resolver().ip6(host).map_err(fail)?;
        for ip in &list {
            self.names.push((IpAddr::V6(*ip), host.to_vec()));
        }
        Ok(list)
    }
}
