//! The ESMTP extensions qmail-remote uses besides STARTTLS: SIZE, PIPELINING and
//! SMTPUTF8, against small servers on 127.0.0.1 (routes in control/smtproutes).
#![allow(clippy::unwrap_used)]
mod common;
use common::*;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

fn sized(cmd: &[u8]) -> Step {
    match cmd {
        c if c.starts_with(b"EHLO") => {
            Step::Reply(b"250-sink.example\r\n250-SIZE 1000\r\n250 8BITMIME\r\n")
        }
        _ => happy(cmd),
    }
}

fn small(cmd: &[u8]) -> Step {
    match cmd {
        c if c.starts_with(b"EHLO") => Step::Reply(b"250-sink.example\r\n250 SIZE 10\r\n"),
        _ => happy(cmd),
    }
}

fn utf8(cmd: &[u8]) -> Step {
    match cmd {
        c if c.starts_with(b"EHLO") => Step::Reply(b"250-sink.example\r\n250 SMTPUTF8\r\n"),
        _ => happy(cmd),
    }
}

#[test]
fn size_is_declared_and_the_limit_is_kept() {
    let h = Home::new();
    let srv = Server::start(sized);
    h.route_to(srv.port);
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert!(out.starts_with(b"r\0K127.0.0.1 accepted message."));
    let t = srv.transcript();
    let want = format!("EHLO helo.example\r\nMAIL FROM:<sender@me.example> SIZE={}\r\nRCPT TO:<r@remote.example>\r\n", MSG.len());
    assert!(
        t.starts_with(want.as_bytes()),
        "{}",
        String::from_utf8_lossy(&t)
    );

    // Larger than the server's limit: a bounce with the reason, and no MAIL.
    let srv = Server::start(small);
    h.route_to(srv.port);
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert_eq!(
        String::from_utf8_lossy(&out),
        format!(
            "D127.0.0.1 accepts messages of at most 10 bytes; this one has {} bytes. (#5.3.4)\n\0",
            MSG.len()
        )
    );
    assert_eq!(srv.transcript(), b"EHLO helo.example\r\nQUIT\r\n");

    // A server without SIZE gets no SIZE=.
    let srv = Server::start(happy);
    h.route_to(srv.port);
    h.run(&args(&[b"r@remote.example"]), MSG);
    assert!(srv
        .transcript()
        .starts_with(b"EHLO helo.example\r\nMAIL FROM:<sender@me.example>\r\n"));
}

#[test]
fn smtputf8_only_to_servers_that_offer_it() {
    let h = Home::new();
    let srv = Server::start(sized);
    h.route_to(srv.port);
    let (_, out) = h.run(&args(&["j\u{fc}rgen@remote.example".as_bytes()]), MSG);
    assert_eq!(
        out,
        b"D127.0.0.1 does not support SMTPUTF8, which the addresses of this message need. (#5.6.7)\n\0"
    );
    assert_eq!(srv.transcript(), b"EHLO helo.example\r\nQUIT\r\n");

    let srv = Server::start(utf8);
    h.route_to(srv.port);
    let (_, out) = h.run(&args(&["j\u{fc}rgen@remote.example".as_bytes()]), MSG);
    assert!(out.starts_with(b"r\0K127.0.0.1 accepted message."));
    let t = srv.transcript();
    // qmail quotes a local part with bytes beyond ASCII; RFC 6531 allows them quoted.
    let want = "EHLO helo.example\r\nMAIL FROM:<sender@me.example> SMTPUTF8\r\nRCPT TO:<\"j\u{fc}rgen\"@remote.example>\r\n";
    assert!(
        t.starts_with(want.as_bytes()),
        "{}",
        String::from_utf8_lossy(&t)
    );
}

/// A server that answers nothing to MAIL until every RCPT has arrived: only a client
/// that pipelines gets past it (one that waits for the MAIL reply times out).
#[test]
fn pipelining_sends_mail_and_every_rcpt_before_reading() {
    let h = Home::new();
    h.control("timeoutremote", "5\n");
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        let mut w = s.try_clone().unwrap();
        let mut r = BufReader::new(s);
        let mut line = String::new();
        let mut got = Vec::new();
        w.write_all(b"220 pipe.example ESMTP\r\n").unwrap();
        r.read_line(&mut line).unwrap();
        got.push(line.clone());
        w.write_all(b"250-pipe.example\r\n250 PIPELINING\r\n")
            .unwrap();
        for _ in 0..3 {
            line.clear();
            r.read_line(&mut line).unwrap();
            got.push(line.clone());
        }
        // All three in: the replies, in order; the second recipient is refused.
        w.write_all(b"250 sender ok\r\n250 rcpt ok\r\n550 no such user\r\n")
            .unwrap();
        line.clear();
        r.read_line(&mut line).unwrap();
        got.push(line.clone());
        w.write_all(b"354 go\r\n").unwrap();
        loop {
            line.clear();
            if r.read_line(&mut line).unwrap() == 0 || line == ".\r\n" {
                break;
            }
        }
        w.write_all(b"250 queued\r\n").unwrap();
        got
    });
    h.route_to(port);
    let (_, out) = h.run(&args(&[b"a@remote.example", b"b@remote.example"]), MSG);
    assert_eq!(
        String::from_utf8_lossy(&out),
        "r\0h127.0.0.1 does not like recipient.\nRemote host said: 550 no such user\n\0K127.0.0.1 accepted message.\nRemote host said: 250 queued\n\0"
    );
    let got = server.join().unwrap();
    assert_eq!(
        got,
        [
            "EHLO helo.example\r\n",
            "MAIL FROM:<sender@me.example>\r\n",
            "RCPT TO:<a@remote.example>\r\n",
            "RCPT TO:<b@remote.example>\r\n",
            "DATA\r\n"
        ]
    );
}

/// A server that offers STARTTLS and then refuses it (454), and lies in its EHLO answer
/// (a SIZE that is not a number, a keyword with a NUL, a line with another code).
fn refuses_tls(cmd: &[u8]) -> Step {
    match cmd {
        c if c.starts_with(b"EHLO") => Step::Reply(
            b"250-liar.example\r\n250-SIZE lots\r\n250-PIPE\0LINING\r\n251-SMTPUTF8\r\n250 STARTTLS\r\n",
        ),
        b"STARTTLS" => Step::Reply(b"454 4.7.0 TLS not available\r\n"),
        _ => happy(cmd),
    }
}

#[test]
fn starttls_refused_goes_on_in_clear_unless_required() {
    let h = Home::new();
    let srv = Server::start(refuses_tls);
    h.route_to(srv.port);
    let (_, out) = h.run(&args(&["j\u{fc}rgen@remote.example".as_bytes()]), MSG);
    // The lies count for nothing: no SIZE=, no pipelining, no SMTPUTF8.
    assert_eq!(
        out,
        b"D127.0.0.1 does not support SMTPUTF8, which the addresses of this message need. (#5.6.7)\n\0"
    );
    srv.transcript();

    let srv = Server::start(refuses_tls);
    h.route_to(srv.port);
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert!(out.starts_with(b"r\0K127.0.0.1 accepted message."));
    assert_eq!(
        srv.transcript(),
        b"EHLO helo.example\r\nSTARTTLS\r\nMAIL FROM:<sender@me.example>\r\nRCPT TO:<r@remote.example>\r\nDATA\r\nSubject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n"
    );

    h.control("tlsdestinations", "remote.example:\n");
    let srv = Server::start(refuses_tls);
    h.route_to(srv.port);
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert_eq!(
        String::from_utf8_lossy(&out),
        "ZConnected to 127.0.0.1 but STARTTLS was rejected and TLS is required. (#4.7.5)\nRemote host said: 454 4.7.0 TLS not available\n\0"
    );
    assert_eq!(
        srv.transcript(),
        b"EHLO helo.example\r\nSTARTTLS\r\nQUIT\r\n"
    );
}

/// RFC 6152: `BODY=8BITMIME` on MAIL when the server offers 8BITMIME and the message has
/// a byte beyond ASCII; nothing for a 7-bit message (above) or a server without it.
#[test]
fn body_8bitmime_for_8bit_messages() {
    let msg: &[u8] = b"Subject: caf\xc3\xa9\n\nna\xc3\xafve\n";
    let h = Home::new();
    let srv = Server::start(sized);
    h.route_to(srv.port);
    let (_, out) = h.run(&args(&[b"r@remote.example"]), msg);
    assert!(out.starts_with(b"r\0K127.0.0.1 accepted message."));
    let want = format!(
        "EHLO helo.example\r\nMAIL FROM:<sender@me.example> SIZE={} BODY=8BITMIME\r\n",
        msg.len()
    );
    let t = srv.transcript();
    assert!(
        t.starts_with(want.as_bytes()),
        "{}",
        String::from_utf8_lossy(&t)
    );
    // The message itself went out whole after the scan.
    assert!(
        t.windows(6).any(|w| w == b"na\xc3\xafve"),
        "{}",
        String::from_utf8_lossy(&t)
    );

    let srv = Server::start(utf8);
    h.route_to(srv.port);
    let (_, out) = h.run(&args(&[b"r@remote.example"]), msg);
    assert!(out.starts_with(b"r\0K127.0.0.1 accepted message."));
    let t = srv.transcript();
    assert!(
        t.starts_with(b"EHLO helo.example\r\nMAIL FROM:<sender@me.example>\r\n"),
        "{}",
        String::from_utf8_lossy(&t)
    );
}
