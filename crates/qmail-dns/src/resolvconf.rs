//! `/etc/resolv.conf`: the `nameserver` lines (IPv4 or IPv6, with an optional `%scope`)
//! and the `timeout:` and `attempts:` options. Everything else (search lists, domain,
//! sortlist) is ignored on purpose: qmail asks for absolute names only.
use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::time::Duration;

pub const PATH: &str = "/etc/resolv.conf";
/// Like the C library: at most three servers are used.
pub const SERVERS_MAX: usize = 3;
pub const PORT: u16 = 53;
/// The C library's defaults and caps for the options.
pub const TIMEOUT_DEFAULT: u64 = 5;
pub const TIMEOUT_MAX: u64 = 30;
pub const ATTEMPTS_DEFAULT: u32 = 2;
pub const ATTEMPTS_MAX: u32 = 5;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub servers: Vec<SocketAddr>,
    pub timeout: Duration,
    pub attempts: u32,
}

impl Config {
    /// Read the system file; a missing or unreadable file gives the defaults (the local
    /// host as the only server), as the C library does.
    pub fn system() -> Config {
        match std::fs::read(PATH) {
            Ok(text) => Config::parse(&text),
            Err(_) => Config::parse(b""),
        }
    }

    pub fn parse(text: &[u8]) -> Config {
        let mut servers = Vec::new();
        let mut timeout = TIMEOUT_DEFAULT;
        let mut attempts = ATTEMPTS_DEFAULT;
        for line in text.split(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(line);
            let mut words = line.split_ascii_whitespace();
            match words.next() {
                Some("nameserver") => {
                    if let Some(addr) = words.next().and_then(server) {
                        if servers.len() < SERVERS_MAX {
                            servers.push(addr);
                        }
                    }
                }
                Some("options") => {
                    for w in words {
                        if let Some(v) = w.strip_prefix("timeout:") {
                            if let Ok(n) = v.parse::<u64>() {
                                timeout = n.clamp(1, TIMEOUT_MAX);
                            }
                        } else if let Some(v) = w.strip_prefix("attempts:") {
                            if let Ok(n) = v.parse::<u32>() {
                                attempts = n.clamp(1, ATTEMPTS_MAX);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if servers.is_empty() {
            servers.push(SocketAddr::new(IpAddr::from([127, 0, 0, 1]), PORT));
        }
        Config {
            servers,
            timeout: Duration::from_secs(timeout),
            attempts,
        }
    }
}

fn server(word: &str) -> Option<SocketAddr> {
    if let Ok(ip) = word.parse::<IpAddr>() {
        return Some(SocketAddr::new(ip, PORT));
    }
    // fe80::1%eth0 or fe80::1%2
    let (addr, scope) = word.split_once('%')?;
    let ip = addr.parse::<Ipv6Addr>().ok()?;
    let id = match scope.parse::<u32>() {
        Ok(n) => n,
        Err(_) => nix::net::if_::if_nametoindex(scope).ok()?,
    };
    Some(SocketAddr::V6(SocketAddrV6::new(ip, PORT, 0, id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_and_options() {
        let c = Config::parse(
            b"# comment\nsearch example.org\nnameserver 192.0.2.1\nnameserver  2001:db8::53 \n\
              nameserver fe80::1%1\nnameserver 192.0.2.4\nnameserver bogus\n\
              options ndots:2 timeout:3 attempts:9\n",
        );
        assert_eq!(
            c.servers,
            vec![
                "192.0.2.1:53".parse().unwrap(),
                "[2001:db8::53]:53".parse().unwrap(),
                SocketAddr::V6(SocketAddrV6::new("fe80::1".parse().unwrap(), 53, 0, 1)),
            ]
        );
        assert_eq!(c.timeout, Duration::from_secs(3));
        assert_eq!(c.attempts, ATTEMPTS_MAX);
    }

    #[test]
    fn defaults() {
        let c = Config::parse(b"nameserver\noptions timeout:0\n");
        assert_eq!(c.servers, vec!["127.0.0.1:53".parse().unwrap()]);
        assert_eq!(c.timeout, Duration::from_secs(1));
        assert_eq!(c.attempts, ATTEMPTS_DEFAULT);
    }
}
