//! qmail-remote's DNS path: a test thread moves into a network namespace of its own,
//! where a small DNS server answers on 127.0.0.1:53 (UDP and TCP) and SMTP servers listen
//! on port 25 of other loopback addresses; qmail-remote runs in that namespace with a
//! resolv.conf naming 127.0.0.1. Nothing outside the namespace is ever contacted.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod common;
use common::*;
use nix::sched::{unshare, CloneFlags};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, UdpSocket};
use std::process::Command;
use std::thread;

const MX: u16 = 15;
const A: u16 = 1;

fn wire(name: &str) -> Vec<u8> {
    let mut w = Vec::new();
    for l in name.split('.') {
        w.push(l.len() as u8);
        w.extend_from_slice(l.as_bytes());
    }
    w.push(0);
    w
}

fn rr(rtype: u16, rdata: &[u8]) -> Vec<u8> {
    let mut r = vec![0xc0, 0x0c];
    r.extend_from_slice(&rtype.to_be_bytes());
    r.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
    r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    r.extend_from_slice(rdata);
    r
}

fn mx(pref: u16, name: &str) -> Vec<u8> {
    let mut d = pref.to_be_bytes().to_vec();
    d.extend_from_slice(&wire(name));
    rr(MX, &d)
}

fn a(ip: &str) -> Vec<u8> {
    rr(A, &ip.parse::<Ipv4Addr>().unwrap().octets())
}

/// The zone: (rcode, truncated over UDP, answer records) for a question, None = silence.
fn zone(name: &str, qtype: u16) -> Option<(u8, bool, Vec<Vec<u8>>)> {
    let ok = |recs: Vec<Vec<u8>>| Some((0, false, recs));
    match (name, qtype) {
        ("two.test", MX) => ok(vec![mx(20, "live.test"), mx(10, "dead.test")]),
        ("loop.test", MX) => ok(vec![mx(10, "self.test"), mx(20, "live.test")]),
        ("below.test", MX) => ok(vec![mx(10, "self.test"), mx(5, "live.test")]),
        ("nomx.test", MX) => ok(vec![mx(10, "nowhere.test")]),
        ("big.test", MX) => Some((0, true, vec![mx(10, "live.test")])),
        ("slow.test", _) => None,
        ("dead.test", A) => ok(vec![a("127.0.0.2")]),
        ("live.test", A) | ("amx.test", A) | ("big.test", A) => ok(vec![a("127.0.0.3")]),
        ("self.test", A) => ok(vec![a("127.0.0.1")]),
        ("amx.test", _) | ("dead.test", _) | ("live.test", _) | ("self.test", _) => ok(vec![]),
        _ => Some((3, false, vec![])),
    }
}

/// The answer to `q`, or None to stay silent.
fn answer(q: &[u8], tcp: bool) -> Option<Vec<u8>> {
    let mut pos = 12;
    let mut labels = Vec::new();
    while q[pos] != 0 {
        let n = q[pos] as usize;
        labels.push(String::from_utf8_lossy(&q[pos + 1..pos + 1 + n]).to_lowercase());
        pos += 1 + n;
    }
    let qtype = u16::from_be_bytes([q[pos + 1], q[pos + 2]]);
    let (rcode, tc, recs) = zone(&labels.join("."), qtype)?;
    let mut r = q[..2].to_vec();
    let tc = tc && !tcp;
    r.extend_from_slice(&[0x81 | if tc { 2 } else { 0 }, 0x80 | rcode, 0, 1]);
    let n = if tc { 0 } else { recs.len() as u16 };
    r.extend_from_slice(&n.to_be_bytes());
    r.extend_from_slice(&[0, 0, 0, 0]);
    r.extend_from_slice(&q[12..pos + 5]);
    if !tc {
        for rec in recs {
            r.extend_from_slice(&rec);
        }
    }
    Some(r)
}

fn dns_server() {
    let udp = UdpSocket::bind("127.0.0.1:53").unwrap();
    let tcp = TcpListener::bind("127.0.0.1:53").unwrap();
    thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((n, peer)) = udp.recv_from(&mut buf) {
            if let Some(r) = answer(&buf[..n], false) {
                udp.send_to(&r, peer).unwrap();
            }
        }
    });
    thread::spawn(move || {
        while let Ok((mut s, _)) = tcp.accept() {
            let mut len = [0u8; 2];
            s.read_exact(&mut len).unwrap();
            let mut q = vec![0u8; u16::from_be_bytes(len) as usize];
            s.read_exact(&mut q).unwrap();
            if let Some(r) = answer(&q, true) {
                let mut out = (r.len() as u16).to_be_bytes().to_vec();
                out.extend_from_slice(&r);
                s.write_all(&out).unwrap();
            }
        }
    });
}

const RESOLV: &str = "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n";

#[test]
fn mx_lookup_in_a_private_network_namespace() {
    thread::spawn(|| {
        unshare(CloneFlags::CLONE_NEWNET).unwrap();
        let up = Command::new("ip").args(["link", "set", "lo", "up"]).status();
        assert!(up.unwrap().success());
        dns_server();
        let h = Home::new();
        let run = |host: &[u8]| {
            h.run_with_resolver(&[host, b"s@me.example", b"r@x.test"], MSG, Some(RESOLV))
                .1
        };
        let accepted_by_live = b"r\0K127.0.0.3 accepted message.\nRemote host said: 250 ok 1234 qp 56\n\0";

        // The best MX refuses connections: the next one gets the message.
        let srv = Server::start_on("127.0.0.3:25", happy);
        assert_eq!(run(b"two.test"), accepted_by_live);
        srv.transcript();

        // An MX below ours is used; one at or above ours is not; only ours: #5.4.6.
        let srv = Server::start_on("127.0.0.3:25", happy);
        assert_eq!(run(b"below.test"), accepted_by_live);
        srv.transcript();
        assert_eq!(
            run(b"loop.test"),
            b"DSorry. Although I'm listed as a best-preference MX or A for that host,\nit isn't in my control/locals file, so I don't treat it as local. (#5.4.6)\n\0"
        );

        // No MX: the host's own address. A truncated answer is fetched again over TCP.
        let srv = Server::start_on("127.0.0.3:25", happy);
        assert_eq!(run(b"amx.test"), accepted_by_live);
        srv.transcript();
        let srv = Server::start_on("127.0.0.3:25", happy);
        assert_eq!(run(b"big.test"), accepted_by_live);
        srv.transcript();

        // No such host; an MX without addresses; a DNS server that does not answer.
        assert_eq!(
            run(b"nx.test"),
            b"DSorry, I couldn't find any host named nx.test. (#5.1.2)\n\0"
        );
        assert_eq!(
            run(b"nomx.test"),
            b"DSorry, I couldn't find a mail exchanger or IP address. (#5.4.4)\n\0"
        );
        assert_eq!(
            run(b"slow.test"),
            b"ZSorry, I couldn't find any host by that name. (#4.1.2)\n\0"
        );
        // An smtproutes relay given by name is looked up too.
        h.control("smtproutes", "x.test:live.test\n");
        let srv = Server::start_on("127.0.0.3:25", happy);
        assert_eq!(run(b"x.test"), accepted_by_live);
        srv.transcript();
    })
    .join()
    .unwrap();
}
