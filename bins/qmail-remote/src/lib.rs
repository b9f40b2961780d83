//! qmail-remote: `qmail-remote host sender recip…`. Sends the message on fd 0 to `host`
//! by SMTP and writes the outcome to fd 1 as NUL-terminated reports (qmail-remote(8)).
//! It always exits 0: trouble of any kind is a report, never an exit code.
#![forbid(unsafe_code)]

mod conn;
mod controls;
mod dane;
mod dns;
mod smtp;
mod tls;

use qmail_core::auto;
use qmail_core::quote::has_line_break;
use qmail_net::ip::Ip4;
use qmail_remote_core::mxip::{self, DnsFail, IpPref, Lcg};
use qmail_remote_core::report::{self, Report};
use qmail_remote_core::tlspolicy::Level;
use qmail_remote_core::{addr, route, tcpto};
use std::ffi::OsString;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStringExt;
use std::time::{SystemTime, UNIX_EPOCH};

pub fn run() {
    let args: Vec<Vec<u8>> = std::env::args_os().map(OsString::into_vec).collect();
    let mut rep = Report::default();
    deliver(&args, &mut rep);
    // A write error cannot be reported anywhere; qmail-rspawn sees no output.
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(&rep.out);
    let _ = out.flush();
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Fd 0 as a plain file, read without another buffer in between. (std's `Stdin` would
/// also turn a read error EBADF into an empty message.)
fn message() -> Box<dyn Read> {
    match std::io::stdin().as_fd().try_clone_to_owned() {
        Ok(fd) => Box::new(File::from(fd)),
        Err(e) => Box::new(Unreadable(Some(e))),
    }
}

/// lock/tcpto: an address that timed out twice recently is skipped (IPv6 addresses in
/// the table after qmail's IPv4 one, qmail-tcpto(5)).
fn timing_out(ip: IpAddr, pid: u32) -> bool {
    tcpto::is_timing_out(ip, now(), pid)
}

fn record_result(ip: IpAddr, timeout: bool) {
    tcpto::record_result(ip, timeout, now());
}

/// The size of fd 0 when it is a regular file.
fn message_size() -> Option<u64> {
    let fd = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
    let meta = File::from(fd).metadata().ok()?;
    meta.is_file().then_some(meta.len())
}

/// Does the message on fd 0 have a byte beyond ASCII? Read with `pread`, so fd 0's
/// offset stays at the start. False when fd 0 is not a regular file or cannot be read:
/// then no `BODY=` is declared, as from qmail.
fn eight_bit() -> bool {
    use std::os::unix::fs::FileExt;
    let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else {
        return false;
    };
    let f = File::from(fd);
    if !f.metadata().is_ok_and(|m| m.is_file()) {
        return false;
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut at = 0u64;
    loop {
        match f.read_at(&mut buf, at) {
            Ok(0) | Err(_) => return false,
            Ok(n) => {
                let chunk = buf.get(..n).unwrap_or_default();
                // OR of every byte: a loop the compiler vectorizes, one test per chunk.
                if chunk.iter().fold(0u8, |a, &b| a | b) & 0x80 != 0 {
                    return true;
                }
                at = at.saturating_add(n as u64);
            }
        }
    }
}

struct Unreadable(Option<std::io::Error>);

impl Read for Unreadable {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        Err(self
            .0
            .take()
            .unwrap_or_else(|| std::io::ErrorKind::Other.into()))
    }
}

/// What DNS says about DANE for one server.
enum Dane {
    /// No DANE: no authenticated TLSA records, or a policy entry in
    /// control/tlsdestinations for the destination, which wins.
    Off,
    /// Authenticated TLSA records, the usable ones (possibly none: TLS without
    /// authentication, RFC 7672 §2.2).
    On(Vec<qmail_dns::Tlsa>),
    /// The address records were validated but the TLSA lookup failed: this server
    /// cannot be used now (RFC 7672 §2.2.2), the name says which.
    Trouble(Vec<u8>),
}

/// The TLSA records of the server at `ip`, looked up only when its address records
/// were DNSSEC-validated (a name in a signed zone) and no policy entry names the
/// destination.
fn dane_records(lookups: &mut dns::SysDns, ip: IpAddr, port: u16, level: &Level) -> Dane {
    if *level != Level::Opportunistic {
        return Dane::Off;
    }
    let Some(name) = lookups.secure_name_of(ip) else {
        return Dane::Off;
    };
    match lookups.tlsa(&name, port) {
        Ok((records, true)) if !records.is_empty() => Dane::On(dane::usable(&records)),
        Ok(_) => Dane::Off,
        Err(qmail_dns::DnsError::Soft) => Dane::Trouble(name),
        Err(_) => Dane::Off,
    }
}

fn deliver(args: &[Vec<u8>], rep: &mut Report) {
    let (Some(host), Some(sender), Some(recips)) = (args.get(1), args.get(2), args.get(3..)) else {
        return rep.message(report::USAGE);
    };
    if recips.is_empty() {
        return rep.message(report::USAGE);
    }
    if std::env::set_current_dir(auto::QMAIL).is_err() {
        return rep.message(report::CHDIR);
    }
    let ctl = match controls::Controls::read() {
        Ok(c) => c,
        Err(controls::Trouble::TlsLine(n)) => {
            return rep.message(&format!(
                "ZUnable to parse control/tlsdestinations: line {n} is not valid. (#4.3.0)\n"
            ))
        }
        Err(controls::Trouble::Any) => return rep.message(report::CONTROL),
    };
    let cert = match tls::client_cert() {
        Ok(c) => c,
        Err(tls::SetupError(why)) => {
            return rep.message(&format!("Z{}. (#4.3.0)\n", tls::printable(&why)))
        }
    };
    let domain = host.clone();
    let route = route::lookup(&ctl.routes, host);
    let credentials = match &route {
        Some(r) => match controls::smtpauth(&r.relay) {
            Ok(c) => c,
            Err(why) => return rep.message(&format!("Z{why} (#4.3.0)\n")),
        },
        None => None,
    };
    let (host, port) = match &route {
        Some(r) => (r.relay.as_slice(), r.port),
        None => (host.as_slice(), route::SMTP_PORT),
    };
    // qmail-queue takes no such address, but an old queue may hold one: it must not
    // split MAIL or RCPT into two commands.
    if has_line_break(sender) || recips.iter().any(|r| has_line_break(r)) {
        return rep.message(report::LINE_BREAK);
    }
    let sender = addr::mangle(sender);
    let recips: Vec<Vec<u8>> = recips.iter().map(|r| addr::mangle(r)).collect();

    let pid = std::process::id();
    // ipme for IPv6, and whether IPv6 is worth asking DNS for at all: a host with only
    // loopback and link-local addresses cannot reach an IPv6 exchanger.
    let me6 = qmail_net::ipme::ipme6().unwrap_or_default();
    let mut lookups = dns::SysDns::default();
    lookups.ipv6 = qmail_net::ipme::has_ipv6_route(&me6);
    let found = match route {
        Some(_) => mxip::ip(&mut lookups, host, 0),
        None => mxip::mxip(&mut lookups, host, &mut Lcg::seed(now(), pid)),
    };
    let ips = match found {
        Ok(ips) => ips,
        Err(DnsFail::Soft) => return rep.message(report::DNS_SOFT),
        Err(DnsFail::Hard) => return rep.perm_dns(host),
    };
    if ips.is_empty() {
        return rep.message(report::NOMX);
    }
    let prefme = if route.is_some() {
        mxip::PREFME_RELAY
    } else {
        match qmail_net::ipme::ipme() {
            Ok(me) => mxip::prefme(&ips, |ip| match ip {
                IpAddr::V4(a) => me.contains(&Ip4::from(a)),
                IpAddr::V6(a) => me6.contains(&a),
            }),
            Err(_) => return rep.message(report::OSERR),
        }
    };
    let usable: Vec<IpPref> = ips.into_iter().filter(|x| x.pref < prefme).collect();
    if usable.is_empty() {
        return rep.message(report::AMBIGMX);
    }

    let env = smtp::Envelope {
        helohost: &ctl.helohost,
        sender: &sender,
        recips: &recips,
        size: message_size(),
        eight_bit,
    };
    let connect_timeout = ctl.timeoutconnect.max(1);
    // A server whose TLSA records could not be looked up is skipped (RFC 7672 §2.2):
    // the name, to say so when no other server took the message.
    let mut dane_trouble: Option<Vec<u8>> = None;
    for x in usable {
        if timing_out(x.ip, pid) {
            continue;
        }
        // The certificate must name the host connected to: the relay, or the
        // exchanger the address came from.
        let name = match (&route, lookups.name_of(x.ip)) {
            (Some(r), _) if mxip::literal(&r.relay).is_none() => r.relay.clone(),
            (_, Some(n)) => n.to_vec(),
            _ => x.ip.to_string().into_bytes(),
        };
        let name = String::from_utf8_lossy(&name).into_owned();
        let mut names: Vec<&[u8]> = Vec::new();
        if route.is_some() {
            names.push(host);
        }
        names.push(&domain);
        let level = ctl.tls.lookup(&names);
        let tlsa = match dane_records(&mut lookups, x.ip, port, &level) {
            Dane::Off => None,
            Dane::On(records) => Some(records),
            Dane::Trouble(n) => {
                dane_trouble = Some(n);
                continue;
            }
        };
        match qmail_net::timeoutio::connect(
            ctl.source(x.ip),
            SocketAddr::from((x.ip, port)),
            connect_timeout,
        ) {
            Ok(sock) => {
                record_result(x.ip, false);
                let mut plan = smtp::TlsPlan {
                    level: &level,
                    name: &name,
                    cert: cert.as_ref(),
                    try_tls: true,
                    auth: credentials.as_ref(),
                    dane: tlsa.as_deref(),
                };
                let Ok(conn) = conn::Conn::new(sock, ctl.timeout) else {
                    return rep.message(report::OSERR);
                };
                if smtp::smtp(conn, x.ip, &env, &plan, &mut message(), rep) == smtp::Ended::Done {
                    return;
                }
                // Opportunistic TLS failed in the handshake: the session is unusable, so
                // the same server is asked again in clear, as qmail would have spoken.
                plan.try_tls = false;
                rep.tls = b"TLS: handshake failed, sent without TLS.\n".to_vec();
                let again = qmail_net::timeoutio::connect(
                    ctl.source(x.ip),
                    SocketAddr::from((x.ip, port)),
                    connect_timeout,
                );
                let Ok(conn) = again.and_then(|s| conn::Conn::new(s, ctl.timeout)) else {
                    return rep.message(report::NOCONN);
                };
                smtp::smtp(conn, x.ip, &env, &plan, &mut message(), rep);
                return;
            }
            Err(e) => {
                let timeout = e.kind() == std::io::ErrorKind::TimedOut;
                record_result(x.ip, timeout);
            }
        }
    }
    if let Some(n) = dane_trouble {
        return rep.message(&format!(
            "ZSorry, I couldn't look up the TLSA records of _{port}._tcp.{}, which DANE needs. (#4.4.3)\n",
            tls::printable(&String::from_utf8_lossy(&n))
        ));
    }
    rep.message(report::NOCONN);
}
