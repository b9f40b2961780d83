//! The resolver against small DNS servers on 127.0.0.1 (UDP and TCP on one port).
use super::*;
use std::io::Write;
use std::net::{TcpListener, UdpSocket};
use std::thread;

/// What the fake server sends back for a query: (flags, answer count, answer bytes),
/// or None to stay silent. The flag word gets QR set by the server.
type Answer = fn(&[u8], bool) -> Vec<Option<(u16, u16, Vec<u8>)>>;

/// A response to `q` (our query) with the question echoed.
fn respond(q: &[u8], id: u16, flags: u16, an: u16, answers: &[u8]) -> Vec<u8> {
    let mut r = Vec::new();
    r.extend_from_slice(&id.to_be_bytes());
    r.extend_from_slice(&(flags | 0x8000).to_be_bytes());
    r.extend_from_slice(&[0, 1]);
    r.extend_from_slice(&an.to_be_bytes());
    r.extend_from_slice(&[0, 0, 0, 0]);
    r.extend_from_slice(&q[12..question_end(q)]);
    r.extend_from_slice(answers);
    r
}

/// Where the question of `q` ends (an OPT record may follow).
fn question_end(q: &[u8]) -> usize {
    let mut i = 12;
    while q[i] != 0 {
        i += 1 + usize::from(q[i]);
    }
    i + 5
}

/// Does `q` carry an OPT record with the DO bit?
fn asks_dnssec(q: &[u8]) -> bool {
    let end = question_end(q);
    q[11] == 1 && q[end..].starts_with(b"\x00\x00\x29\x04\xd0\x00\x00\x80\x00\x00\x00")
}

fn qid(q: &[u8]) -> u16 {
    u16::from_be_bytes([q[0], q[1]])
}

/// Serve `rounds` UDP queries (each answered by a list of datagrams) and TCP queries.
fn server(answer: Answer) -> SocketAddr {
    server_on("127.0.0.1:0", answer)
}

fn server_on(bind: &str, answer: Answer) -> SocketAddr {
    let udp = UdpSocket::bind(bind).unwrap();
    let addr = udp.local_addr().unwrap();
    let tcp = TcpListener::bind(addr).unwrap();
    thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((n, peer)) = udp.recv_from(&mut buf) {
            let q = &buf[..n];
            for (i, a) in answer(q, false).into_iter().enumerate() {
                let Some((flags, an, body)) = a else { continue };
                // A datagram with a wrong id first, when asked for (flag bit 0x4000 unused).
                let id = if flags & 0x4000 != 0 && i == 0 {
                    qid(q) ^ 1
                } else {
                    qid(q)
                };
                let _ = udp.send_to(&respond(q, id, flags & !0x4000, an, &body), peer);
            }
        }
    });
    thread::spawn(move || {
        while let Ok((mut s, _)) = tcp.accept() {
            let mut len = [0u8; 2];
            if s.read_exact(&mut len).is_err() {
                continue;
            }
            let mut q = vec![0u8; usize::from(u16::from_be_bytes(len))];
            if s.read_exact(&mut q).is_err() {
                continue;
            }
            if let Some(Some((flags, an, body))) = answer(&q, true).into_iter().next() {
                let r = respond(&q, qid(&q), flags, an, &body);
                let mut out = (r.len() as u16).to_be_bytes().to_vec();
                out.extend_from_slice(&r);
                let _ = s.write_all(&out);
            }
        }
    });
    addr
}

fn resolver(servers: Vec<SocketAddr>) -> Resolver {
    Resolver::with_servers(servers, Duration::from_millis(700), 1)
}

const MX2: &[u8] = b"\xc0\x0c\x00\x0f\x00\x01\x00\x00\x00\x3c\x00\x07\x00\x0a\x02mx\xc0\x0c\
\xc0\x0c\x00\x0f\x00\x01\x00\x00\x00\x3c\x00\x08\x00\x14\x03mx2\xc0\x0c";

#[test]
fn mx_over_udp_ignoring_a_wrong_id() {
    let s = server(|_, _| vec![Some((0x4180, 2, MX2.to_vec()))]);
    // The first datagram has the wrong id and is skipped; there is no second one...
    assert_eq!(resolver(vec![s]).mx(b"example.org"), Err(DnsError::Soft));
    let s = server(|_, _| {
        vec![
            Some((0x4180, 2, MX2.to_vec())),
            Some((0x0180, 2, MX2.to_vec())),
        ]
    });
    let mx = resolver(vec![s]).mx(b"Example.ORG").unwrap();
    let got: Vec<(u16, Vec<u8>)> = mx.iter().map(|m| (m.pref, m.exchange.to_text())).collect();
    assert_eq!(
        got,
        vec![
            (10, b"mx.Example.ORG".to_vec()),
            (20, b"mx2.Example.ORG".to_vec())
        ]
    );
}

#[test]
fn truncated_answer_is_asked_again_over_tcp() {
    let s = server(|_, tcp| {
        if tcp {
            vec![Some((0x0180, 2, MX2.to_vec()))]
        } else {
            vec![Some((0x0380, 0, Vec::new()))]
        }
    });
    assert_eq!(resolver(vec![s]).mx(b"example.org").unwrap().len(), 2);
}

#[test]
fn nxdomain_and_nodata_are_hard() {
    let s = server(|_, _| vec![Some((0x0183, 0, Vec::new()))]);
    let e = resolver(vec![s]).ip4(b"nowhere.example").unwrap_err();
    assert_eq!(e, DnsError::NxDomain);
    assert!(e.is_hard());
    let s = server(|_, _| vec![Some((0x0180, 0, Vec::new()))]);
    assert_eq!(resolver(vec![s]).mx(b"a.example"), Err(DnsError::NoData));
}

#[test]
fn servfail_moves_to_the_next_server() {
    let bad = server(|_, _| vec![Some((0x0182, 0, Vec::new()))]);
    let good = server(|_, _| {
        vec![Some((
            0x0180,
            1,
            b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x07".to_vec(),
        ))]
    });
    assert_eq!(resolver(vec![bad]).ip4(b"h.example"), Err(DnsError::Soft));
    assert_eq!(
        resolver(vec![bad, good]).ip4(b"h.example").unwrap(),
        vec![Ipv4Addr::new(192, 0, 2, 7)]
    );
}

#[test]
fn silent_or_absent_servers_are_soft() {
    let silent = server(|_, _| vec![None]);
    let t = std::time::Instant::now();
    assert_eq!(
        resolver(vec![silent]).ip4(b"h.example"),
        Err(DnsError::Soft)
    );
    assert!(t.elapsed() >= Duration::from_millis(600));
    // Nobody listens on the port of a socket we just closed: ECONNREFUSED.
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    assert_eq!(resolver(vec![port]).ip4(b"h.example"), Err(DnsError::Soft));
}

#[test]
fn cname_chain_and_ptr() {
    let s = server(|q, _| {
        let qtype = u16::from_be_bytes([q[q.len() - 4], q[q.len() - 3]]);
        let body: Vec<u8> = match qtype {
            packet::TYPE_A => [
                &b"\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x05\x02cn\xc0\x0c"[..],
                &b"\x02cn\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x0a\x00\x00\x01"[..],
            ]
            .concat(),
            packet::TYPE_CNAME => {
                b"\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x05\x02cn\xc0\x0c".to_vec()
            }
            _ => b"\xc0\x0c\x00\x0c\x00\x01\x00\x00\x00\x3c\x00\x06\x04host\x00".to_vec(),
        };
        let an = if qtype == packet::TYPE_A { 2 } else { 1 };
        vec![Some((0x0180, an, body))]
    });
    let r = resolver(vec![s]);
    assert_eq!(r.ip4(b"a.b").unwrap(), vec![Ipv4Addr::new(10, 0, 0, 1)]);
    assert_eq!(r.cname(b"a.b").unwrap().unwrap().to_text(), b"cn.a.b");
    let p = r.ptr("10.0.0.1".parse().unwrap()).unwrap();
    assert_eq!(p.first().unwrap().to_text(), b"host");
}

#[test]
fn txt_strings_are_joined_per_record() {
    let s = server(|_, _| {
        let rr = |data: &[u8]| {
            let mut r = b"\xc0\x0c\x00\x10\x00\x01\x00\x00\x00\x3c\x00".to_vec();
            r.push(data.len() as u8);
            r.extend_from_slice(data);
            r
        };
        let body = [rr(b"\x03v=s\x05pf1 a"), rr(b"\x05other")].concat();
        vec![Some((0x0180, 2, body))]
    });
    let r = resolver(vec![s]);
    assert_eq!(
        r.txt(b"example.org").unwrap(),
        vec![b"v=spf1 a".to_vec(), b"other".to_vec()]
    );
}

#[test]
fn bad_names_fail_before_any_query() {
    let r = resolver(vec![]);
    assert!(matches!(r.mx(b"a..b"), Err(DnsError::BadName(_))));
    assert!(r.mx(b"a..b").unwrap_err().is_hard());
}

#[test]
fn ipv6_nameserver() {
    let s = server_on("[::1]:0", |_, tcp| {
        if tcp {
            vec![Some((0x0180, 2, MX2.to_vec()))]
        } else {
            vec![Some((0x0380, 0, Vec::new()))]
        }
    });
    assert!(s.is_ipv6());
    assert_eq!(resolver(vec![s]).mx(b"example.org").unwrap().len(), 2);
}

/// A TLSA answer for _25._tcp.mx.example: 3 1 1 and 2 0 1 records, and an RRSIG.
const TLSA2: &[u8] =
    b"\xc0\x0c\x00\x34\x00\x01\x00\x00\x00\x3c\x00\x07\x03\x01\x01\xaa\xbb\xcc\xdd\
\xc0\x0c\x00\x34\x00\x01\x00\x00\x00\x3c\x00\x04\x02\x00\x01\xee\
\xc0\x0c\x00\x2e\x00\x01\x00\x00\x00\x3c\x00\x02\x00\x34";

#[test]
fn tlsa_with_the_ad_bit() {
    // AD only when the query asked with DO, as a validating resolver does.
    let s = server(|q, _| {
        let flags = if asks_dnssec(q) { 0x01a0 } else { 0x0180 };
        vec![Some((flags, 3, TLSA2.to_vec()))]
    });
    let (list, ad) = resolver(vec![s]).tlsa(b"mx.example", 25).unwrap();
    assert!(ad);
    assert_eq!(
        list,
        vec![
            Tlsa {
                usage: 3,
                selector: 1,
                matching: 1,
                data: vec![0xaa, 0xbb, 0xcc, 0xdd]
            },
            Tlsa {
                usage: 2,
                selector: 0,
                matching: 1,
                data: vec![0xee]
            }
        ]
    );
    // Without AD: the same records, not authentic.
    let s = server(|_, _| vec![Some((0x0180, 3, TLSA2.to_vec()))]);
    let (list, ad) = resolver(vec![s]).tlsa(b"mx.example", 25).unwrap();
    assert!(!ad);
    assert_eq!(list.len(), 2);
    // No TLSA records: NoData, as for any type.
    let s = server(|_, _| vec![Some((0x01a0, 0, Vec::new()))]);
    assert_eq!(
        resolver(vec![s]).tlsa(b"mx.example", 25),
        Err(DnsError::NoData)
    );
}

#[test]
fn a_server_without_edns_is_asked_again_plainly() {
    // FORMERR to any query with an OPT record (RFC 6891 §7): the plain answer counts,
    // and it is never authentic.
    let s = server(|q, _| {
        if asks_dnssec(q) {
            vec![Some((0x0181, 0, Vec::new()))]
        } else {
            vec![Some((
                0x01a0,
                1,
                b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x07".to_vec(),
            ))]
        }
    });
    let (ips, _) = resolver(vec![s]).ip4_dnssec(b"h.example").unwrap();
    assert_eq!(ips, vec![Ipv4Addr::new(192, 0, 2, 7)]);
}
