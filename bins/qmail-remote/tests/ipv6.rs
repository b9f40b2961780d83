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
