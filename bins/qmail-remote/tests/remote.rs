//! qmail-remote against small SMTP servers on 127.0.0.1. The routes in
//! control/smtproutes point at the test server, so no DNS is asked.
#![allow(clippy::unwrap_used)]
mod common;
use common::*;
use std::fs;
use std::net::TcpListener;
use std::time::{Duration, Instant};

#[test]
fn success_reports_r_and_k_and_the_wire_is_exact() {
    let h = Home::new();
    let srv = Server::start(happy);
    h.route_to(srv.port);
    let (code, out) = h.run(&args(&[b"rcpt@remote.example"]), MSG);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        b"r\0K127.0.0.1 accepted message.\nRemote host said: 250 ok 1234 qp 56\n\0"
    );
    assert_eq!(
        srv.transcript(),
        b"EHLO helo.example\r\nMAIL FROM:<sender@me.example>\r\nRCPT TO:<rcpt@remote.example>\r\nDATA\r\nSubject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n"
    );
}

#[test]
fn transparency_on_the_wire() {
    let h = Home::new();
    let srv = Server::start(happy);
    h.route_to(srv.port);
    let mut msg = b"Subject: t\n\n.starts with a dot\n..two dots\n.\nbare\rcr\nalready crlf\r\n8bit: \xe9\nx\r.\r\n".to_vec();
    msg.extend(std::iter::repeat(b'L').take(3000));
    msg.extend_from_slice(b"\nends in cr\r");
    let (_, out) = h.run(&args(&[b"r@remote.example"]), &msg);
    assert!(
        out.starts_with(b"r\0K127.0.0.1 accepted message."),
        "{}",
        String::from_utf8_lossy(&out)
    );
    let mut want = b"EHLO helo.example\r\nMAIL FROM:<sender@me.example>\r\nRCPT TO:<r@remote.example>\r\nDATA\r\n".to_vec();
    want.extend_from_slice(b"Subject: t\r\n\r\n..starts with a dot\r\n...two dots\r\n..\r\nbare\r\ncr\r\nalready crlf\r\n8bit: \xe9\r\nx\r\n..\r\n");
    want.extend(std::iter::repeat(b'L').take(3000));
    want.extend_from_slice(b"\r\nends in cr\r\n.\r\nQUIT\r\n");
    assert_eq!(srv.transcript(), want);
}

#[test]
fn partial_final_line_is_permanent_and_sends_nothing() {
    let h = Home::new();
    let srv = Server::start(happy);
    h.route_to(srv.port);
    let (_, out) = h.run(
        &args(&[b"r@remote.example"]),
        b"Subject: partial\n\nno newline at the end",
    );
    assert_eq!(
        out,
        b"r\0DSMTP cannot transfer messages with partial final lines. (#5.6.2)\n\0"
    );
    // No data, no QUIT: the server sees the connection close inside DATA.
    assert_eq!(
        srv.transcript(),
        b"EHLO helo.example\r\nMAIL FROM:<sender@me.example>\r\nRCPT TO:<r@remote.example>\r\nDATA\r\n"
    );
}

#[test]
fn partial_final_line_after_a_long_line_sends_only_full_buffers() {
    // qmail's 1024-byte output buffer: what was flushed before the partial line is seen.
    let h = Home::new();
    let srv = Server::start(happy);
    h.route_to(srv.port);
    let mut msg = vec![b'L'; 3000];
    msg.extend_from_slice(b"\nno newline");
    let (_, out) = h.run(&args(&[b"r@remote.example"]), &msg);
    assert_eq!(
        out,
        b"r\0DSMTP cannot transfer messages with partial final lines. (#5.6.2)\n\0"
    );
    let t = srv.transcript();
    let data = t.strip_suffix(&vec![b'L'; 2048][..]).unwrap();
    assert!(data.ends_with(b"DATA\r\n"));
}

#[test]
fn the_final_dot_leaves_with_the_last_bytes_of_the_message() {
    // 1022 bytes once encoded: two short of the 1024-byte buffer, so the dot does not fit.
    // Sent in a write of its own, it waits under Nagle's algorithm for the server's
    // delayed ACK of the bytes before it: 40 ms per message.
    let mut h = Home::new();
    let trace = h.home.path("trace");
    h.wrapper = format!(
        "strace -f -qq -s 4096 -o '{}' -e trace=write,sendto",
        trace.display()
    );
    let srv = Server::start(happy);
    h.route_to(srv.port);
    let mut msg = b"Subject: t\n\n".to_vec();
    msg.extend(std::iter::repeat(b'y').take(1006));
    msg.push(b'\n');
    let (_, out) = h.run(&args(&[b"r@remote.example"]), &msg);
    assert!(
        out.starts_with(b"r\0K127.0.0.1 accepted message."),
        "{out:?}"
    );
    assert!(srv.transcript().ends_with(b"yyy\r\n.\r\nQUIT\r\n"));
    let trace = fs::read_to_string(&trace).unwrap();
    let body: Vec<&str> = trace.lines().filter(|l| l.contains("yyyy")).collect();
    assert_eq!(body.len(), 1, "{trace}");
    assert!(body[0].contains("yyy\\r\\n.\\r\\n\""), "{trace}");
}

#[test]
fn rcpt_4xx_defers_and_5xx_bounces_with_the_remote_text() {
    fn script(cmd: &[u8]) -> Step {
        match cmd {
            b"RCPT TO:<soft@remote.example>" => Step::Reply(b"451 4.3.0 try later\r\n"),
            b"RCPT TO:<hard@remote.example>" => {
                Step::Reply(b"550-5.1.1 no such user\r\n550 5.1.1 really\r\n")
            }
            _ => happy(cmd),
        }
    }
    let h = Home::new();
    let srv = Server::start(script);
    h.route_to(srv.port);
    let (_, out) = h.run(&args(&[b"soft@remote.example"]), MSG);
    assert_eq!(
        out,
        b"s127.0.0.1 does not like recipient.\nRemote host said: 451 4.3.0 try later\n\0DGiving up on 127.0.0.1.\n\0"
    );
    assert!(srv
        .transcript()
        .ends_with(b"RCPT TO:<soft@remote.example>\r\nQUIT\r\n"));

    let srv = Server::start(script);
    h.route_to(srv.port);
    let (_, out) = h.run(&args(&[b"hard@remote.example"]), MSG);
    assert_eq!(
        out,
        b"h127.0.0.1 does not like recipient.\nRemote host said: 550-5.1.1 no such user\n550 5.1.1 really\n\0DGiving up on 127.0.0.1.\n\0"
    );
    srv.transcript();

    // Several recipients in one transaction: the refused one is reported, the message
    // goes to the others.
    let srv = Server::start(script);
    h.route_to(srv.port);
    let (_, out) = h.run(
        &args(&[
            b"a@remote.example",
            b"hard@remote.example",
            b"soft@remote.example",
        ]),
        MSG,
    );
    assert_eq!(
        out,
        b"r\0h127.0.0.1 does not like recipient.\nRemote host said: 550-5.1.1 no such user\n550 5.1.1 really\n\0s127.0.0.1 does not like recipient.\nRemote host said: 451 4.3.0 try later\n\0K127.0.0.1 accepted message.\nRemote host said: 250 ok 1234 qp 56\n\0"
    );
    let t = srv.transcript();
    assert!(t.windows(6).any(|w| w == b"DATA\r\n"));
}

#[test]
fn codes_after_data_and_at_each_stage() {
    fn after_451(cmd: &[u8]) -> Step {
        match cmd {
            b"." => Step::Reply(b"451 4.3.0 sink defers the data\r\n"),
            _ => happy(cmd),
        }
    }
    fn after_554(cmd: &[u8]) -> Step {
        match cmd {
            b"." => Step::Reply(b"554 5.6.0 no\r\n"),
            _ => happy(cmd),
        }
    }
    fn greet_421(cmd: &[u8]) -> Step {
        match cmd {
            b"" => Step::Reply(b"421 busy\r\n"),
            _ => happy(cmd),
        }
    }
    fn helo_no(cmd: &[u8]) -> Step {
        match cmd {
            c if c.starts_with(b"EHLO") => Step::Reply(b"502 no\r\n"),
            c if c.starts_with(b"HELO") => Step::Reply(b"251 odd\r\n"),
            _ => happy(cmd),
        }
    }
    fn mail_553(cmd: &[u8]) -> Step {
        match cmd {
            c if c.starts_with(b"MAIL") => Step::Reply(b"553 sender\r\n"),
            _ => happy(cmd),
        }
    }
    fn mail_452(cmd: &[u8]) -> Step {
        match cmd {
            c if c.starts_with(b"MAIL") => Step::Reply(b"452 full\r\n"),
            _ => happy(cmd),
        }
    }
    fn data_503(cmd: &[u8]) -> Step {
        match cmd {
            b"DATA" => Step::Reply(b"503 no\r\n"),
            _ => happy(cmd),
        }
    }
    let cases: [(Script, &[u8]); 7] = [
        (after_451, b"r\0Z127.0.0.1 failed after I sent the message.\nRemote host said: 451 4.3.0 sink defers the data\n\0"),
        (after_554, b"r\0D127.0.0.1 failed after I sent the message.\nRemote host said: 554 5.6.0 no\n\0"),
        (greet_421, b"ZConnected to 127.0.0.1 but greeting failed.\nRemote host said: 421 busy\n\0"),
        (helo_no, b"ZConnected to 127.0.0.1 but my name was rejected.\nRemote host said: 251 odd\n\0"),
        (mail_553, b"DConnected to 127.0.0.1 but sender was rejected.\nRemote host said: 553 sender\n\0"),
        (mail_452, b"ZConnected to 127.0.0.1 but sender was rejected.\nRemote host said: 452 full\n\0"),
        (data_503, b"r\0D127.0.0.1 failed on DATA command.\nRemote host said: 503 no\n\0"),
    ];
    let h = Home::new();
    for (script, want) in cases {
        let srv = Server::start(script);
        h.route_to(srv.port);
        let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
        assert_eq!(out, want, "{}", String::from_utf8_lossy(&out));
        assert!(srv.transcript().ends_with(b"QUIT\r\n"));
    }
}

#[test]
fn connection_refused_is_a_deferral_and_resets_tcpto() {
    let h = Home::new();
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    h.route_to(port);
    // 127.0.0.1 with one earlier timeout: a refusal clears the count.
    let mut t = vec![0u8; 1024];
    t[..5].copy_from_slice(&[127, 0, 0, 1, 1]);
    fs::write(h.home.join("queue/lock/tcpto"), &t).unwrap();
    let (code, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        b"ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n\0"
    );
    assert_eq!(h.tcpto()[4], 0);
}

#[test]
fn tcpto_skips_a_host_that_timed_out_twice() {
    let h = Home::new();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    h.route_to(l.local_addr().unwrap().port());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as u32;
    let mut t = vec![0u8; 1024];
    t[..5].copy_from_slice(&[127, 0, 0, 1, 2]);
    t[8..12].copy_from_slice(&now.to_le_bytes());
    fs::write(h.home.join("queue/lock/tcpto"), &t).unwrap();
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert_eq!(
        out,
        b"ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n\0"
    );
    // Nobody connected, and the record is unchanged.
    l.set_nonblocking(true).unwrap();
    assert!(l.accept().is_err());
    assert_eq!(h.tcpto(), t);
}

#[test]
fn stalled_server_hits_timeoutremote() {
    fn stall_after_dot(cmd: &[u8]) -> Step {
        match cmd {
            b"." => Step::Stall,
            _ => happy(cmd),
        }
    }
    fn stall_at_greeting(_: &[u8]) -> Step {
        Step::Stall
    }
    let h = Home::new();
    h.control("timeoutremote", "2\n");
    let srv = Server::start(stall_after_dot);
    h.route_to(srv.port);
    let t = Instant::now();
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    let took = t.elapsed();
    assert_eq!(
        out,
        b"r\0ZConnected to 127.0.0.1 but connection died. Possible duplicate! (#4.4.2)\n\0"
    );
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(10),
        "{took:?}"
    );
    srv.transcript();

    let srv = Server::start(stall_at_greeting);
    h.route_to(srv.port);
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert_eq!(
        out,
        b"ZConnected to 127.0.0.1 but connection died. (#4.4.2)\n\0"
    );
    assert_eq!(srv.transcript(), b"");
}

#[test]
fn server_closing_early_is_a_dead_connection() {
    fn close_at_rcpt(cmd: &[u8]) -> Step {
        match cmd {
            c if c.starts_with(b"RCPT") => Step::Close,
            _ => happy(cmd),
        }
    }
    let h = Home::new();
    let srv = Server::start(close_at_rcpt);
    h.route_to(srv.port);
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert_eq!(
        out,
        b"ZConnected to 127.0.0.1 but connection died. (#4.4.2)\n\0"
    );
    srv.transcript();
}

#[test]
fn addresses_are_quoted_and_bounces_have_an_empty_sender() {
    let h = Home::new();
    let srv = Server::start(happy);
    h.route_to(srv.port);
    let (_, out) = h.run(&[b"remote.example", b"", b"a b@remote.example"], MSG);
    assert!(out.starts_with(b"r\0K"));
    let t = srv.transcript();
    assert!(
        t.starts_with(b"EHLO helo.example\r\nMAIL FROM:<>\r\nRCPT TO:<\"a b\"@remote.example>\r\n")
    );
}

/// An address with CR or LF (qmail-queue refuses them now, but a queue written by
/// another program may hold one) never reaches the wire: nothing is sent, and the
/// failure is permanent.
#[test]
fn addresses_with_line_breaks_are_refused() {
    let h = Home::new();
    let srv = Server::start(happy);
    h.route_to(srv.port);
    for args in [
        &[
            &b"remote.example"[..],
            b"s@me.example",
            b"r@remote.example>\r\nRCPT TO:<x@y",
        ][..],
        &[b"remote.example", b"s@me.example", b"r\n@remote.example"],
        &[b"remote.example", b"s\r@me.example", b"r@remote.example"],
        &[
            b"remote.example",
            b"s@me.example\nRSET",
            b"r@remote.example",
        ],
    ] {
        let (code, out) = h.run(args, MSG);
        assert_eq!(code, 0);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "DSorry, an envelope address contains a CR or LF. (#5.1.3)\n\0",
            "{args:?}"
        );
    }
    // the server saw no connection at all: its transcript holds the happy run's only
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert!(out.starts_with(b"r\0K"));
    let t = srv.transcript();
    assert!(
        !t.windows(4).any(|w| w == b"x@y>"),
        "{}",
        String::from_utf8_lossy(&t)
    );
    assert_eq!(t.windows(4).filter(|w| w == b"EHLO").count(), 1);
}

#[test]
fn routes_literals_and_mx_to_myself() {
    let h = Home::new();
    let srv = Server::start(happy);
    // A suffix route with a bracketed literal relay and a port; me as helohost default.
    h.control(
        "smtproutes",
        &format!(".example:[127.0.0.1]:{}\n", srv.port),
    );
    fs::remove_file(h.home.join("control/helohost")).unwrap();
    let (_, out) = h.run(
        &[
            b"sub.remote.example",
            b"s@me.example",
            b"r@sub.remote.example",
        ],
        MSG,
    );
    assert!(out.starts_with(b"r\0K127.0.0.1 accepted message."));
    assert!(srv.transcript().starts_with(b"EHLO me.example\r\n"));

    // No route: a literal address that is this machine is refused as a loop (#5.4.6).
    fs::remove_file(h.home.join("control/smtproutes")).unwrap();
    let (_, out) = h.run(&[b"[127.0.0.1]", b"s@me.example", b"r@[127.0.0.1]"], MSG);
    assert_eq!(out, b"DSorry. Although I'm listed as a best-preference MX or A for that host,\nit isn't in my control/locals file, so I don't treat it as local. (#5.4.6)\n\0");
    let (_, out) = h.run(&[b"0.0.0.0", b"s@me.example", b"r@x"], MSG);
    assert!(out.starts_with(b"DSorry. Although"));

    // An empty relay means "no route": an exception from a default route.
    h.control("smtproutes", ":127.0.0.1:1\n[127.0.0.1]:\n");
    let (_, out) = h.run(&[b"[127.0.0.1]", b"s@me.example", b"r@[127.0.0.1]"], MSG);
    assert!(out.starts_with(b"DSorry. Although"));
}

#[test]
fn usage_and_control_trouble() {
    let h = Home::new();
    let (code, out) = h.run(&[b"remote.example", b"s@me.example"], MSG);
    assert_eq!(
        (code, out.as_slice()),
        (
            0,
            &b"DI (qmail-remote) was invoked improperly. (#5.3.5)\n\0"[..]
        )
    );
    fs::remove_file(h.home.join("control/helohost")).unwrap();
    fs::remove_file(h.home.join("control/me")).unwrap();
    let (code, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert_eq!(
        (code, out.as_slice()),
        (0, &b"ZUnable to read control files. (#4.3.0)\n\0"[..])
    );
    // A control file that cannot be read (a directory) is trouble too.
    h.control("helohost", "h\n");
    fs::create_dir(h.home.join("control/smtproutes")).unwrap();
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert_eq!(out, b"ZUnable to read control files. (#4.3.0)\n\0");
}

#[test]
fn unreadable_message_is_a_temporary_failure_without_quit() {
    let h = Home::new();
    let srv = Server::start(happy);
    h.route_to(srv.port);
    // A directory on fd 0: reading it fails (EISDIR).
    let (_, out) = h.run_full(&args(&[b"r@remote.example"]), MSG, None, "</");
    assert_eq!(out, b"r\0ZUnable to read message. (#4.3.0)\n\0");
    assert!(srv.transcript().ends_with(b"DATA\r\n"));
}

#[test]
fn ehlo_refused_falls_back_to_helo() {
    fn old(cmd: &[u8]) -> Step {
        match cmd {
            c if c.starts_with(b"EHLO") => Step::Reply(b"500 what?\r\n"),
            _ => happy(cmd),
        }
    }
    let h = Home::new();
    let srv = Server::start(old);
    h.route_to(srv.port);
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert!(out.starts_with(b"r\0K127.0.0.1 accepted message."));
    assert!(srv.transcript().starts_with(
        b"EHLO helo.example\r\nHELO helo.example\r\nMAIL FROM:<sender@me.example>\r\n"
    ));
}
