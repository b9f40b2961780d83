//! tcp-env: describe the TCP connection on descriptor 0 in the environment (PROTO and the
//! TCP* variables of tcp-environ(5)) and run a program, for servers started by inetd
//! (tcp-env(1)). Under tcpserver, which sets PROTO=TCP (or TCP6) itself, it just runs
//! the program. IPv6 peers are described in IPv6 form (`TCPREMOTEIP=2001:db8::7`), IPv4
//! clients of an IPv6 socket as IPv4.
#![forbid(unsafe_code)]

mod remoteinfo;

use std::ffi::OsString;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::process::Command;

use nix::sys::socket::{getpeername, getsockname, SockaddrStorage};

/// The connection is on descriptor 0 (inetd's convention).
const CONN: std::os::fd::RawFd = 0;
/// Default ident timeout, seconds.
const DEFAULT_TIMEOUT: u64 = 30;

const USAGE: &str = "tcp-env: usage: tcp-env [ -rR ] [ -t timeout ] program [ arg ... ]";

struct Options {
    remoteinfo: bool,
    timeout: u64,
    program: Vec<OsString>,
}

/// scan_ulong: the decimal prefix, saturating.
fn scan_ulong(s: &[u8]) -> u64 {
    s.iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0u64, |n, &b| {
            n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
        })
}

/// getopt("rRt:"); None means a usage error.
fn options(args: Vec<OsString>) -> Option<Options> {
    let mut o = Options {
        remoteinfo: true,
        timeout: DEFAULT_TIMEOUT,
        program: Vec::new(),
    };
    let mut args = args.into_iter().skip(1).peekable();
    while let Some(a) = args.peek() {
        let b = a.as_bytes();
        if b == b"--" {
            args.next();
            break;
        }
        if b.len() < 2 || b.first() != Some(&b'-') {
            break;
        }
        let a = args.next()?;
        let mut flags = a.as_bytes().get(1..)?.iter();
        while let Some(&f) = flags.next() {
            match f {
                b'r' => o.remoteinfo = true,
                b'R' => o.remoteinfo = false,
                b't' => {
                    let rest = flags.as_slice();
                    o.timeout = if rest.is_empty() {
                        scan_ulong(args.next()?.as_bytes())
                    } else {
                        scan_ulong(rest)
                    };
                    break;
                }
                _ => return None,
            }
        }
    }
    o.program = args.collect();
    if o.program.is_empty() {
        return None;
    }
    Some(o)
}

/// An address as tcpserver prints it: dotted quad for IPv4 (also IPv4-mapped IPv6).
fn socket_addr(s: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = s.as_sockaddr_in() {
        return Some(SocketAddr::new(IpAddr::V4(v4.ip()), v4.port()));
    }
    let v6 = s.as_sockaddr_in6()?;
    let ip = match v6.ip().to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(v6.ip()),
    };
    Some(SocketAddr::new(ip, v6.port()))
}

/// qmail's words for a system-call error.
fn errno_text(e: nix::errno::Errno) -> String {
    qmail_core::errstr::errstr(&std::io::Error::from(e))
}

fn fatal(what: &str, e: impl std::fmt::Display) -> u8 {
    let _ = writeln!(std::io::stderr().lock(), "tcp-env: fatal: {what}: {e}");
    111
}

/// The PTR name of `ip`, lowercased; `softdnserror` when the DNS could not say; unset
/// when there is no name.
fn set_host(cmd: &mut Command, var: &str, resolver: &qmail_dns::Resolver, ip: IpAddr) {
    match resolver.ptr(ip) {
        Ok(names) => match names.first() {
            Some(n) => {
                let name = n.to_text().to_ascii_lowercase();
                cmd.env(var, std::ffi::OsStr::from_bytes(&name));
            }
            None => {
                cmd.env_remove(var);
            }
        },
        Err(e) if e.is_hard() => {
            cmd.env_remove(var);
        }
        Err(_) => {
            cmd.env(var, "softdnserror");
        }
    }
}

/// Fill in the environment of `cmd` from the socket on descriptor 0.
fn describe(cmd: &mut Command, o: &Options) -> Result<(), u8> {
    let local: SockaddrStorage =
        getsockname(CONN).map_err(|e| fatal("unable to getsockname", errno_text(e)))?;
    let remote: SockaddrStorage =
        getpeername(CONN).map_err(|e| fatal("unable to getpeername", errno_text(e)))?;
    let local = socket_addr(&local).ok_or_else(|| fatal("unable to getsockname", "not TCP/IP"))?;
    let remote =
        socket_addr(&remote).ok_or_else(|| fatal("unable to getpeername", "not TCP/IP"))?;
    cmd.env("PROTO", "TCP")
        .env("TCPLOCALPORT", local.port().to_string())
        .env("TCPLOCALIP", local.ip().to_string())
        .env("TCPREMOTEPORT", remote.port().to_string())
        .env("TCPREMOTEIP", remote.ip().to_string())
        .env_remove("TCPREMOTEINFO");
    let resolver = qmail_dns::Resolver::system();
    set_host(cmd, "TCPLOCALHOST", &resolver, local.ip());
    set_host(cmd, "TCPREMOTEHOST", &resolver, remote.ip());
    if o.remoteinfo {
        if let Some(info) = remoteinfo::get(remote, local, o.timeout) {
            cmd.env("TCPREMOTEINFO", std::ffi::OsStr::from_bytes(&info));
        }
    }
    Ok(())
}

/// The program; returns the exit status if the exec did not happen.
pub fn run() -> u8 {
    let Some(o) = options(std::env::args_os().collect()) else {
        let _ = writeln!(std::io::stderr().lock(), "{USAGE}");
        return 100;
    };
    let mut prog = o.program.iter();
    let Some(name) = prog.next() else {
        return 100;
    };
    let mut cmd = Command::new(name);
    cmd.args(prog);
    // tcpserver has described the connection already (PROTO=TCP6: the IPv6 tcpserver of
    // ucspi-tcp-ipv6, for an IPv6 client).
    let proto = std::env::var_os("PROTO");
    if !matches!(
        proto.as_deref().map(|p| p.as_bytes()),
        Some(b"TCP" | b"TCP6")
    ) {
        if let Err(code) = describe(&mut cmd, &o) {
            return code;
        }
    }
    // exec resets SIGPIPE to its default in the new program.
    let e = cmd.exec();
    fatal(
        &format!("unable to run {}", name.to_string_lossy()),
        qmail_core::errstr::errstr(&e),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(v: &[&str]) -> Option<(bool, u64, Vec<String>)> {
        let mut args = vec![OsString::from("tcp-env")];
        args.extend(v.iter().map(OsString::from));
        options(args).map(|o| {
            (
                o.remoteinfo,
                o.timeout,
                o.program
                    .iter()
                    .map(|s| s.to_string_lossy().into_owned())
                    .collect(),
            )
        })
    }

    #[test]
    fn getopt() {
        assert_eq!(
            opts(&["prog", "-x"]),
            Some((true, 30, vec!["prog".into(), "-x".into()]))
        );
        assert_eq!(
            opts(&["-R", "prog"]),
            Some((false, 30, vec!["prog".into()]))
        );
        assert_eq!(
            opts(&["-Rr", "-t5", "prog"]),
            Some((true, 5, vec!["prog".into()]))
        );
        assert_eq!(
            opts(&["-Rt", "7", "prog"]),
            Some((false, 7, vec!["prog".into()]))
        );
        assert_eq!(opts(&["--", "-R"]), Some((true, 30, vec!["-R".into()])));
        assert_eq!(opts(&["-t"]), None);
        assert_eq!(opts(&["-R"]), None);
        assert_eq!(opts(&["-z", "prog"]), None);
        assert_eq!(opts(&[]), None);
    }
}
