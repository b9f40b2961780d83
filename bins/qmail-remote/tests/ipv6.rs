//! IPv6: `[IPv6:…]` literals (in smtproutes and as the host), ::1 as this host, and the
//! source addresses of control/outgoingip and control/outgoingip6.
#![allow(clippy::unwrap_used)]
mod common;
use common::*;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

#[test]
fn ipv6_literal_relay_and_loop() {
    let h = Home::new();
    let srv = Server::start_on("[::1]:0", happy);
    h.control(
        "smtproutes",
        &format!("remote.example:[IPv6:::1]:{}\n", srv.port),
    );
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert_eq!(
        String::from_utf8_lossy(&out),
        "r\0K::1 accepted message.\nRemote host said: 250 ok 1234 qp 56\n\0"
    );
    assert!(srv.transcript().starts_with(b"EHLO helo.example\r\n"));

    // Without a route an address literal of this host is a loop, as for IPv4.
    fs::remove_file(h.home.path("control/smtproutes")).unwrap();
    let (_, out) = h.run(&[b"[IPv6:::1]", b"s@me.example", b"r@[IPv6:::1]"], MSG);
    assert_eq!(out, b"DSorry. Although I'm listed as a best-preference MX or A for that host,\nit isn't in my control/locals file, so I don't treat it as local. (#5.4.6)\n\0");
}

/// A server that records the address the client came from.
fn peer_of(listen: &str, h: &Home, relay: &str) -> String {
    let l = TcpListener::bind(listen).unwrap();
    let port = l.local_addr().unwrap().port();
    let t = std::thread::spawn(move || {
        let (s, peer) = l.accept().unwrap();
        let mut w = s.try_clone().unwrap();
        let mut r = BufReader::new(s);
        w.write_all(b"421 not today\r\n").unwrap();
        let mut line = String::new();
        let _ = r.read_line(&mut line);
        peer.ip().to_string()
    });
    h.control("smtproutes", &format!("remote.example:{relay}:{port}\n"));
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert!(
        out.starts_with(b"ZConnected to "),
        "{}",
        String::from_utf8_lossy(&out)
    );
    t.join().unwrap()
}

#[test]
fn outgoingip_for_each_family() {
    let h = Home::new();
    assert_eq!(peer_of("127.0.0.1:0", &h, "127.0.0.1"), "127.0.0.1");
    h.control("outgoingip", "127.0.0.2\n");
    h.control("outgoingip6", "::1\n");
    assert_eq!(peer_of("127.0.0.1:0", &h, "127.0.0.1"), "127.0.0.2");
    assert_eq!(peer_of("[::1]:0", &h, "[IPv6:::1]"), "::1");
    // Not an address: a temporary failure, not a silent default.
    h.control("outgoingip", "not-an-address\n");
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert_eq!(out, b"ZUnable to read control files. (#4.3.0)\n\0");
}

/// lock/tcpto for IPv6 (qmail-tcpto(5)): records after qmail's 1024 bytes of IPv4 ones.
/// An IPv6 address that timed out twice just now is skipped; a refused connection to
/// one with a timeout on record resets its count, and leaves the IPv4 table alone.
#[test]
fn tcpto_for_ipv6_addresses() {
    let h = Home::new();
    let l = TcpListener::bind("[::1]:0").unwrap();
    let port = l.local_addr().unwrap().port();
    h.control("smtproutes", &format!("remote.example:[IPv6:::1]:{port}\n"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as u32;
    let mut t = vec![0u8; 1024 + 32];
    t[1024 + 15] = 1; // ::1
    t[1024 + 16] = 2; // two timeouts
    t[1024 + 20..1024 + 24].copy_from_slice(&now.to_le_bytes());
    fs::write(h.home.path("queue/lock/tcpto"), &t).unwrap();
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert_eq!(
        out,
        b"ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n\0"
    );
    l.set_nonblocking(true).unwrap();
    assert!(l.accept().is_err(), "::1 was skipped");
    assert_eq!(h.tcpto(), t);

    // One timeout on record and a refusal now: the count goes back to 0.
    drop(l);
    t[1024 + 16] = 1;
    fs::write(h.home.path("queue/lock/tcpto"), &t).unwrap();
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert_eq!(
        out,
        b"ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n\0"
    );
    let after = h.tcpto();
    assert_eq!(after[1024 + 16], 0);
    assert_eq!(&after[..1024], &t[..1024]);
}
