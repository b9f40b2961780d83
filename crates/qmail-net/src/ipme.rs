//! ipme: the IPv4 addresses of this host's interfaces that are up, plus 0.0.0.0 (which
//! every host is, netqmail 1.04). qmail-smtpd uses the list to recognise `[ip]` literals
//! naming itself; qmail-remote to avoid delivering to itself.
use crate::ip::Ip4;
use nix::net::if_::InterfaceFlags;

/// The list, in interface order, without duplicates.
pub fn ipme() -> nix::Result<Vec<Ip4>> {
    Ok(ipme_both()?.0)
}

/// The IPv6 addresses of this host's interfaces that are up, plus `::`; qmail-remote
/// uses it as `ipme` for IPv6 exchangers.
pub fn ipme6() -> nix::Result<Vec<std::net::Ipv6Addr>> {
    Ok(ipme_both()?.1)
}

/// [`ipme`] and [`ipme6`] from one look at the interfaces (one netlink conversation
/// instead of two: qmail-smtpd needs both at every connection).
pub fn ipme_both() -> nix::Result<(Vec<Ip4>, Vec<std::net::Ipv6Addr>)> {
    let mut v4 = vec![Ip4([0, 0, 0, 0])];
    let mut v6 = vec![std::net::Ipv6Addr::UNSPECIFIED];
    for ifa in nix::ifaddrs::getifaddrs()? {
        if !ifa.flags.contains(InterfaceFlags::IFF_UP) {
            continue;
        }
        let Some(addr) = ifa.address.as_ref() else {
            continue;
        };
        if let Some(sin) = addr.as_sockaddr_in() {
            let ip = Ip4::from(sin.ip());
            if !v4.contains(&ip) {
                v4.push(ip);
            }
        } else if let Some(sin6) = addr.as_sockaddr_in6() {
            let ip = sin6.ip();
            if !v6.contains(&ip) {
                v6.push(ip);
            }
        }
    }
    Ok((v4, v6))
}

/// Whether the host can reach IPv6 destinations beyond its own links: an address that is
/// not loopback, unspecified or link-local (fe80::/10).
pub fn has_ipv6_route(list: &[std::net::Ipv6Addr]) -> bool {
    list.iter().any(|ip| {
        !ip.is_loopback() && !ip.is_unspecified() && (ip.segments()[0] & 0xffc0) != 0xfe80
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_loopback_and_zero() {
        let list = ipme().unwrap();
        assert!(list.contains(&Ip4([0, 0, 0, 0])));
        assert!(list.contains(&Ip4([127, 0, 0, 1])));
        assert_eq!(
            ipme6().unwrap().first(),
            Some(&std::net::Ipv6Addr::UNSPECIFIED)
        );
    }

    #[test]
    fn both_is_each() {
        assert_eq!(ipme_both().unwrap(), (ipme().unwrap(), ipme6().unwrap()));
    }
}
