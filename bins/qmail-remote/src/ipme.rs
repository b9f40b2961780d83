//! ipme: the IPv4 addresses of this machine's interfaces, plus 0.0.0.0 (netqmail 1.04:
//! an MX pointing at 0.0.0.0 reaches the local host too). Interfaces that are down still
//! count: their addresses are ours all the same.
use nix::ifaddrs::getifaddrs;
use std::net::Ipv4Addr;

pub fn ipme() -> nix::Result<Vec<Ipv4Addr>> {
    let mut list = vec![Ipv4Addr::UNSPECIFIED];
    for ifa in getifaddrs()? {
        if let Some(sin) = ifa.address.as_ref().and_then(|a| a.as_sockaddr_in()) {
            let ip = sin.ip();
            if !list.contains(&ip) {
                list.push(ip);
            }
        }
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_and_zero_are_me() {
        let me = super::ipme().unwrap();
        assert!(me.contains(&"127.0.0.1".parse().unwrap()));
        assert!(me.contains(&"0.0.0.0".parse().unwrap()));
    }
}
