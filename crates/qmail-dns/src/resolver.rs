//! The resolver: each attempt asks every server in turn until one gives a usable answer.
//!
//! Classification (qmail's dns.c on top of `res_query`, "when in doubt, temporary"):
//! - NXDOMAIN → hard; NOERROR with an empty answer section → hard (the name has no
//!   records at all of that type, not even a CNAME);
//! - timeouts, refused connections, SERVFAIL, REFUSED, NOTIMP, FORMERR, answers that do
//!   not parse → try the next server; when none answered usefully → soft.
use crate::name::{Name, NameError};
use crate::packet::{self, Message, RData, RCODE_NOERROR, RCODE_NXDOMAIN};
use crate::resolvconf::Config;
use crate::transport;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    /// Temporary: try again later.
    #[error("temporary DNS failure")]
    Soft,
    /// The name does not exist.
    #[error("no such name")]
    NxDomain,
    /// The name exists but has no records of the type asked for.
    #[error("no data")]
    NoData,
    /// The name cannot be put in a query.
    #[error("bad name: {0}")]
    BadName(NameError),
}

impl DnsError {
    /// A permanent failure (qmail's DNS_HARD).
    pub fn is_hard(&self) -> bool {
        !matches!(self, DnsError::Soft)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mx {
    pub pref: u16,
    pub exchange: Name,
}

/// One TLSA record (RFC 6698 §2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tlsa {
    pub usage: u8,
    pub selector: u8,
    pub matching: u8,
    pub data: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct Resolver {
    config: Config,
}

impl Resolver {
    /// The servers and options of `/etc/resolv.conf`.
    pub fn system() -> Resolver {
        Resolver {
            config: Config::system(),
        }
    }

    pub fn new(config: Config) -> Resolver {
        Resolver { config }
    }

    /// Explicit servers (tests, or a caller that knows better).
    pub fn with_servers(servers: Vec<SocketAddr>, timeout: Duration, attempts: u32) -> Resolver {
        Resolver {
            config: Config {
                servers,
                timeout,
                attempts,
            },
        }
    }

    /// One question; the whole answer when it has at least one record.
    pub fn query(&self, name: &Name, qtype: u16) -> Result<Message, DnsError> {
        self.ask(name, qtype, false)
    }

    /// One question with the DO bit (EDNS0): the answer's `authentic` (AD) says whether
    /// the server validated it. A server that does not know EDNS0 (FORMERR, NOTIMP) is
    /// asked again without it; its answer is then never authentic.
    pub fn query_dnssec(&self, name: &Name, qtype: u16) -> Result<Message, DnsError> {
        self.ask(name, qtype, true)
    }

    fn ask(&self, name: &Name, qtype: u16, dnssec: bool) -> Result<Message, DnsError> {
        for _ in 0..self.config.attempts.max(1) {
            for &server in &self.config.servers {
                let mut m = match self.ask_server(server, name, qtype, dnssec) {
                    Some(m) => m,
                    None => continue,
                };
                if dnssec && matches!(m.rcode, packet::RCODE_FORMERR | packet::RCODE_NOTIMP) {
                    match self.ask_server(server, name, qtype, false) {
                        Some(plain) => m = plain,
                        None => continue,
                    }
                }
                match m.rcode {
                    RCODE_NOERROR if m.answers.is_empty() => return Err(DnsError::NoData),
                    RCODE_NOERROR => return Ok(m),
                    RCODE_NXDOMAIN => return Err(DnsError::NxDomain),
                    _ => continue,
                }
            }
        }
        Err(DnsError::Soft)
    }

    /// One server's answer, over TCP when it did not fit a datagram; None when there
    /// was none.
    fn ask_server(
        &self,
        server: SocketAddr,
        name: &Name,
        qtype: u16,
        dnssec: bool,
    ) -> Option<Message> {
        let id = random_id();
        let q = if dnssec {
            packet::query_dnssec(id, name, qtype)
        } else {
            packet::query(id, name, qtype)
        };
        let t = self.config.timeout;
        let m = transport::udp(server, &q, id, name, qtype, t).ok()?;
        if m.truncated {
            // The whole answer did not fit a datagram: ask this server over TCP.
            return transport::tcp(server, &q, id, name, qtype, t).ok();
        }
        Some(m)
    }

    fn lookup(&self, text: &[u8], qtype: u16) -> Result<(Name, Message), DnsError> {
        let name = Name::from_text(text).map_err(DnsError::BadName)?;
        let m = self.query(&name, qtype)?;
        Ok((name, m))
    }

    /// MX records of `host` (possibly none, when the answer holds only a CNAME).
    pub fn mx(&self, host: &[u8]) -> Result<Vec<Mx>, DnsError> {
        let (name, m) = self.lookup(host, packet::TYPE_MX)?;
        Ok(m.records_for(&name, packet::TYPE_MX)
            .into_iter()
            .filter_map(|d| match d {
                RData::Mx { pref, exchange } => Some(Mx {
                    pref: *pref,
                    exchange: exchange.clone(),
                }),
                _ => None,
            })
            .collect())
    }

    /// IPv4 addresses of `host`, in answer order.
    pub fn ip4(&self, host: &[u8]) -> Result<Vec<Ipv4Addr>, DnsError> {
        let (name, m) = self.lookup(host, packet::TYPE_A)?;
        Ok(m.records_for(&name, packet::TYPE_A)
            .into_iter()
            .filter_map(|d| match d {
                RData::A(a) => Some(*a),
                _ => None,
            })
            .collect())
    }

    /// IPv6 addresses of `host`, in answer order.
    pub fn ip6(&self, host: &[u8]) -> Result<Vec<Ipv6Addr>, DnsError> {
        let (name, m) = self.lookup(host, packet::TYPE_AAAA)?;
        Ok(m.records_for(&name, packet::TYPE_AAAA)
            .into_iter()
            .filter_map(|d| match d {
                RData::Aaaa(a) => Some(*a),
                _ => None,
            })
            .collect())
    }

    /// IPv4 addresses of `host` and whether the resolver validated them (AD).
    pub fn ip4_dnssec(&self, host: &[u8]) -> Result<(Vec<Ipv4Addr>, bool), DnsError> {
        let name = Name::from_text(host).map_err(DnsError::BadName)?;
        let m = self.query_dnssec(&name, packet::TYPE_A)?;
        let list = m
            .records_for(&name, packet::TYPE_A)
            .into_iter()
            .filter_map(|d| match d {
                RData::A(a) => Some(*a),
                _ => None,
            })
            .collect();
        Ok((list, m.authentic))
    }

    /// IPv6 addresses of `host` and whether the resolver validated them (AD).
    pub fn ip6_dnssec(&self, host: &[u8]) -> Result<(Vec<Ipv6Addr>, bool), DnsError> {
        let name = Name::from_text(host).map_err(DnsError::BadName)?;
        let m = self.query_dnssec(&name, packet::TYPE_AAAA)?;
        let list = m
            .records_for(&name, packet::TYPE_AAAA)
            .into_iter()
            .filter_map(|d| match d {
                RData::Aaaa(a) => Some(*a),
                _ => None,
            })
            .collect();
        Ok((list, m.authentic))
    }

    /// The TLSA records of `_PORT._tcp.HOST` (RFC 6698 §3) and whether the resolver
    /// validated them (AD). Records that are not TLSA (a CNAME on the way) are left out.
    pub fn tlsa(&self, host: &[u8], port: u16) -> Result<(Vec<Tlsa>, bool), DnsError> {
        let mut text = format!("_{port}._tcp.").into_bytes();
        text.extend_from_slice(host);
        let name = Name::from_text(&text).map_err(DnsError::BadName)?;
        let m = self.query_dnssec(&name, packet::TYPE_TLSA)?;
        let list = m
            .records_for(&name, packet::TYPE_TLSA)
            .into_iter()
            .filter_map(|d| match d {
                RData::Tlsa {
                    usage,
                    selector,
                    matching,
                    data,
                } => Some(Tlsa {
                    usage: *usage,
                    selector: *selector,
                    matching: *matching,
                    data: data.clone(),
                }),
                _ => None,
            })
            .collect();
        Ok((list, m.authentic))
    }

    /// The target of `host`'s CNAME record, if it has one.
    pub fn cname(&self, host: &[u8]) -> Result<Option<Name>, DnsError> {
        let (name, m) = self.lookup(host, packet::TYPE_CNAME)?;
        Ok(m.answers.iter().find_map(|r| match &r.data {
            RData::Cname(t) if r.owner.eq_ignore_case(&name) => Some(t.clone()),
            _ => None,
        }))
    }

    /// TXT records of `host`, each one's strings joined (RFC 7208 §3.3, RFC 6376
    /// §3.6.2.2), in answer order.
    pub fn txt(&self, host: &[u8]) -> Result<Vec<Vec<u8>>, DnsError> {
        let (name, m) = self.lookup(host, packet::TYPE_TXT)?;
        Ok(m.records_for(&name, packet::TYPE_TXT)
            .into_iter()
            .filter_map(|d| match d {
                RData::Txt(s) => Some(s.concat()),
                _ => None,
            })
            .collect())
    }

    /// The names of `ip` (PTR records), in answer order.
    pub fn ptr(&self, ip: IpAddr) -> Result<Vec<Name>, DnsError> {
        let name = Name::reverse(ip);
        let m = self.query(&name, packet::TYPE_PTR)?;
        Ok(m.records_for(&name, packet::TYPE_PTR)
            .into_iter()
            .filter_map(|d| match d {
                RData::Ptr(n) => Some(n.clone()),
                _ => None,
            })
            .collect())
    }
}

/// A query id nobody off the path can guess (RFC 5452): from the kernel's generator.
/// Without /dev/urandom, fall back to a clock-and-pid mix (the source port is random too).
fn random_id() -> u16 {
    let mut b = [0u8; 2];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .is_ok()
    {
        return u16::from_be_bytes(b);
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let mix = nanos ^ std::process::id().rotate_left(16);
    (mix ^ (mix >> 16)) as u16
}

#[cfg(test)]
mod tests;
