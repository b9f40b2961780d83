//! qmail-remote's lookups through qmail-dns, the resolver created on first use (a
//! message routed to a literal address never reads resolv.conf).
use qmail_dns::{DnsError, Resolver};
use qmail_remote_core::mxip::{Dns, DnsFail};
use std::net::Ipv4Addr;

#[derive(Default)]
pub struct SysDns {
    resolver: Option<Resolver>,
}

impl SysDns {
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
        self.resolver().ip4(host).map_err(fail)
    }
}
