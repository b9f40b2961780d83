//! Black-box: the qmail-qmtpd binary over pipes, in a private mount namespace where a
//! temporary directory is bind-mounted over the qmail home (needs root and unshare(1)).
//! $QMAILQUEUE points at a script that, like qmail-queue, keeps a message only when its
//! envelope ended with the final NUL, and records what it kept.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use std::io::{Read, Write};
use std::process::Stdio;

use qmail_e2e::{FakeQueue, Receiver};

/// A home with control/me and rcpthosts, and a fake qmail-queue that keeps complete
/// envelopes only.
fn setup(tag: &str) -> Receiver {
    let h = Receiver::new(&format!("qmtpd-{tag}"), FakeQueue::strict());
    h.home.control("me", "cmp.example\n");
    h.home.control("rcpthosts", "cmp.example\n");
    h
}

/// Run a session with `input` on stdin; (exit code, stdout).
fn session(h: &Receiver, env: &[(&str, &str)], input: &[u8]) -> (i32, Vec<u8>) {
    let r = h.session(env!("CARGO_BIN_EXE_qmail-qmtpd"), env, input);
    (r.exit(), r.stdout)
}

fn ns(b: &[u8]) -> Vec<u8> {
    let mut v = format!("{}:", b.len()).into_bytes();
    v.extend_from_slice(b);
    v.push(b',');
    v
}

/// One QMTP message: encoding byte + body, sender, recipients.
fn qmtp(body: &[u8], sender: &[u8], rcpts: &[&[u8]]) -> Vec<u8> {
    let mut v = ns(body);
    v.extend(ns(sender));
    let list: Vec<u8> = rcpts.iter().flat_map(|r| ns(r)).collect();
    v.extend(ns(&list));
    v
}

/// Split the answers into netstring payloads, with `Kok <t> qp <p>` normalised.
fn answers(out: &[u8]) -> Vec<String> {
    let mut rest = out;
    let mut v = Vec::new();
    while !rest.is_empty() {
        let (p, tail) = qmail_netstring::parse(rest).expect("answers are netstrings");
        let s = String::from_utf8_lossy(p).to_string();
        let words: Vec<&str> = s.split(' ').collect();
        if words.len() == 4 && words[0] == "Kok" && words[2] == "qp" {
            assert!(words[1].parse::<u64>().is_ok() && words[3].parse::<u32>().is_ok());
            v.push("Kok <time> qp <pid>".to_string());
        } else {
            v.push(s);
        }
        rest = tail;
    }
    v
}

const DOMAIN_NO: &str = "Dsorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)";
const RCPT_NO: &str = "Dsorry, I can't handle that recipient (#5.1.3)";

fn received_ok(m: &[u8], rest: &[u8]) {
    let s = String::from_utf8_lossy(m);
    let (first, after) = s.split_once('\n').unwrap();
    assert_eq!(first, "Received: from unknown (192.0.2.9)");
    assert!(
        after.starts_with("  by mx.cmp.example with QMTP; "),
        "{after:?}"
    );
    assert!(after.split_once('\n').unwrap().0.ends_with(" -0000"));
    assert_eq!(after.split_once('\n').unwrap().1.as_bytes(), rest);
}

const PEER: &[(&str, &str)] = &[
    ("TCPREMOTEIP", "192.0.2.9"),
    ("TCPLOCALHOST", "mx.cmp.example"),
];

#[test]
fn compliance_session_two_recipients_one_refused() {
    let h = setup("basic");
    let input = qmtp(
        b"\nSubject: qmtp\n\nbody\n",
        b"qmtp-sender@client.example",
        &[b"qcmp@cmp.example", b"victim@remote.example"],
    );
    let (code, out) = session(&h, PEER, &input);
    assert_eq!(code, 0);
    assert_eq!(answers(&out), vec!["Kok <time> qp <pid>", DOMAIN_NO]);
    let rec = h.qq.recorded();
    assert_eq!(rec.len(), 1);
    received_ok(&rec[0].0, b"Subject: qmtp\n\nbody\n");
    assert_eq!(
        rec[0].1,
        b"Fqmtp-sender@client.example\0Tqcmp@cmp.example\0\0"
    );
}

#[test]
fn malformed_length_exit_100_nothing_queued() {
    let h = setup("junk");
    let (code, out) = session(&h, PEER, b"x:junk");
    assert_eq!((code, out), (100, vec![]));
    // qmail's old arithmetic took these for digits.
    let (code, _) = session(&h, PEER, b"1/:\n,");
    assert_eq!(code, 100);
    assert!(h.qq.recorded().is_empty());
}

#[test]
fn malformed_inside_a_message_queues_nothing() {
    let h = setup("inner");
    let good = qmtp(b"\nx\n", b"s@x", &[b"u@cmp.example"]);
    let cases: Vec<Vec<u8>> = vec![
        // no comma after the message
        b"3:\nx\n;".to_vec(),
        // empty message netstring
        b"0:,".to_vec(),
        // the encoding byte is neither LF nor CR
        [ns(b"Sx"), ns(b"s@x"), ns(&ns(b"u@cmp.example"))].concat(),
        // a recipient that runs past the list
        [ns(b"\nx"), ns(b"s@x"), b"5:9:u@cmp.example,,".to_vec()].concat(),
        // a recipient length with a non-digit
        [ns(b"\nx"), ns(b"s@x"), b"5:a:u,,,".to_vec()].concat(),
        // no comma after the recipient list
        [ns(b"\nx"), ns(b"s@x"), b"0:;".to_vec()].concat(),
        // the first message is fine, the second one is not
        [good.clone(), b"5:\nx".to_vec(), b"junk".to_vec()].concat(),
    ];
    for (i, input) in cases.iter().enumerate() {
        let (code, out) = session(&h, PEER, input);
        assert_eq!(code, 100, "case {i}");
        if i == cases.len() - 1 {
            assert_eq!(answers(&out), vec!["Kok <time> qp <pid>"]);
        } else {
            assert!(out.is_empty(), "case {i}");
        }
    }
    assert_eq!(h.qq.recorded().len(), 1);
}

#[test]
fn huge_length_is_temporary() {
    let h = setup("huge");
    let (code, out) = session(&h, PEER, b"99999999999:");
    assert_eq!((code, out), (111, vec![]));
}

#[test]
fn eof_mid_message_queues_nothing() {
    let h = setup("eof");
    let (code, out) = session(&h, PEER, b"100:\nSubject: cut");
    assert_eq!((code, out), (0, vec![]));
    assert!(h.qq.recorded().is_empty());
}

#[test]
fn crlf_encoding_and_two_messages() {
    let h = setup("crlf");
    let mut input = qmtp(
        b"\rSubject: a\r\n\r\nline\r\nbare\rcr\r\n",
        b"",
        &[b"a@cmp.example"],
    );
    input.extend(qmtp(b"\nSecond\n", b"s2@x", &[b"b@CMP.example", b"noat"]));
    let (code, out) = session(&h, PEER, &input);
    assert_eq!(code, 0);
    assert_eq!(answers(&out), vec!["Kok <time> qp <pid>"; 3]);
    let rec = h.qq.recorded();
    assert_eq!(rec.len(), 2);
    let mut bodies: Vec<_> = rec.iter().map(|(m, e)| (m.clone(), e.clone())).collect();
    bodies.sort_by_key(|(_, e)| e.clone());
    received_ok(&bodies[0].0, b"Subject: a\n\nline\nbare\rcr\n");
    assert_eq!(bodies[0].1, b"F\0Ta@cmp.example\0\0");
    received_ok(&bodies[1].0, b"Second\n");
    assert_eq!(bodies[1].1, b"Fs2@x\0Tb@CMP.example\0Tnoat\0\0");
}

#[test]
fn bad_sender_and_recipients() {
    let h = setup("addrs");
    let long = vec![b'a'; 1000];
    let ok999 = [vec![b'b'; 986], b"@cmp.example".to_vec()].concat();
    assert_eq!(ok999.len(), 998);
    let (code, out) = session(
        &h,
        PEER,
        &qmtp(
            b"\nx\n",
            b"s@x",
            &[&long, b"nul\0@cmp.example", &ok999, b"u@other.example"],
        ),
    );
    assert_eq!(code, 0);
    assert_eq!(
        answers(&out),
        vec![RCPT_NO, RCPT_NO, "Kok <time> qp <pid>", DOMAIN_NO]
    );
    let rec = h.qq.recorded();
    assert_eq!(rec.len(), 1);
    assert_eq!(
        rec[0].1,
        [b"Fs@x\0T".to_vec(), ok999.clone(), b"\0\0".to_vec()].concat()
    );

    // A bad sender: every accepted recipient gets the sender refusal, nothing queued.
    let (_, out) = session(
        &h,
        PEER,
        &qmtp(b"\nx\n", b"s\0@x", &[b"u@cmp.example", b"u@no.example"]),
    );
    assert_eq!(
        answers(&out),
        vec!["Dunacceptable sender (#5.1.7)", DOMAIN_NO]
    );
    let (_, out) = session(&h, PEER, &qmtp(b"\nx\n", &long, &[b"u@cmp.example"]));
    assert_eq!(answers(&out), vec!["Dunacceptable sender (#5.1.7)"]);
    assert_eq!(h.qq.recorded().len(), 1);
}

#[test]
fn relayclient_appends_and_counts() {
    let h = setup("relay");
    let env = [PEER, &[("RELAYCLIENT", "+r")]].concat();
    let r998 = vec![b'c'; 998];
    let r997 = vec![b'c'; 997];
    let (code, out) = session(
        &h,
        &env,
        &qmtp(b"\nx\n", b"s@x", &[b"v@remote.example", &r998, &r997]),
    );
    assert_eq!(code, 0);
    assert_eq!(
        answers(&out),
        vec!["Kok <time> qp <pid>", RCPT_NO, "Kok <time> qp <pid>"]
    );
    let rec = h.qq.recorded();
    assert_eq!(
        rec[0].1,
        [
            b"Fs@x\0Tv@remote.example+r\0T".to_vec(),
            r997,
            b"+r\0\0".to_vec()
        ]
        .concat()
    );
}

#[test]
fn databytes_limit() {
    let h = setup("databytes");
    h.home.control("databytes", "10\n");
    let too_big = "Dsorry, that message size exceeds my databytes limit (#5.3.4)";
    let input = [
        qmtp(b"\n0123456789", b"s@x", &[b"a@cmp.example"]),
        qmtp(b"\n0123456789x", b"s@x", &[b"b@cmp.example"]),
        qmtp(b"\r01234\r\n5678", b"s@x", &[b"c@cmp.example"]),
        qmtp(b"\r01234\r\n56789", b"s@x", &[b"d@cmp.example"]),
    ]
    .concat();
    let (code, out) = session(&h, PEER, &input);
    assert_eq!(code, 0);
    assert_eq!(
        answers(&out),
        vec![
            "Kok <time> qp <pid>",
            too_big,
            "Kok <time> qp <pid>",
            too_big
        ]
    );
    assert_eq!(h.qq.recorded().len(), 2);
    // DATABYTES overrides the control file.
    let env = [PEER, &[("DATABYTES", "0")]].concat();
    let (_, out) = session(
        &h,
        &env,
        &qmtp(b"\n0123456789x", b"s@x", &[b"b@cmp.example"]),
    );
    assert_eq!(answers(&out), vec!["Kok <time> qp <pid>"]);
}

#[test]
fn qmail_queue_failure_is_each_answer() {
    let h = setup("qqfail");
    let env = [PEER, &[("QQ_EXIT", "53")]].concat();
    let (code, out) = session(
        &h,
        &env,
        &qmtp(b"\nx\n", b"s@x", &[b"a@cmp.example", b"b@cmp.example"]),
    );
    assert_eq!(code, 0);
    assert_eq!(
        answers(&out),
        vec!["Zqq write error or disk full (#4.3.0)"; 2]
    );
}

#[test]
fn open_relay_without_rcpthosts_and_morercpthosts() {
    let h = setup("open");
    std::fs::remove_file(h.home.path("control/rcpthosts")).unwrap();
    let (_, out) = session(&h, PEER, &qmtp(b"\nx\n", b"s@x", &[b"v@anywhere.example"]));
    assert_eq!(answers(&out), vec!["Kok <time> qp <pid>"]);
    // morercpthosts.cdb is consulted only with rcpthosts; an unreadable one is temporary.
    h.home.control("rcpthosts", "cmp.example\n");
    std::fs::write(h.home.path("control/morercpthosts.cdb"), b"short").unwrap();
    let (code, _) = session(&h, PEER, &qmtp(b"\nx\n", b"s@x", &[b"v@anywhere.example"]));
    assert_eq!(code, 111);
}

#[test]
fn no_controls_is_temporary() {
    let h = setup("noctl");
    std::fs::remove_dir_all(h.home.path("control")).unwrap();
    std::fs::create_dir(h.home.path("control")).unwrap();
    std::fs::create_dir(h.home.path("control/rcpthosts")).unwrap();
    let (code, out) = session(&h, PEER, &qmtp(b"\nx\n", b"s@x", &[b"a@cmp.example"]));
    assert_eq!((code, out), (111, vec![]));
}

/// tcpserver on 127.0.0.1 and a free port running qmail-qmtpd in a private mount
/// namespace; the test is the QMTP client over TCP.
struct Tcp {
    child: std::process::Child,
    port: u16,
}

impl Drop for Tcp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Tcp {
    fn start(h: &Receiver) -> Tcp {
        let port = qmail_e2e::home::free_port();
        let port_s = port.to_string();
        let child = h
            .command("tcpserver", &[])
            .args(["-q", "-H", "-R", "-l", "mx.test", "127.0.0.1", &port_s])
            .arg(env!("CARGO_BIN_EXE_qmail-qmtpd"))
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let t = Tcp { child, port };
        qmail_e2e::home::wait_listening(port);
        t
    }
}

#[test]
fn over_tcp_answers_come_before_the_next_message() {
    let h = setup("tcp");
    let t = Tcp::start(&h);
    let mut c = std::net::TcpStream::connect(("127.0.0.1", t.port)).unwrap();
    c.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    for (i, rcpts) in [
        &[&b"a@cmp.example"[..], b"x@elsewhere.example"][..],
        &[&b"b@cmp.example"[..]][..],
    ]
    .iter()
    .enumerate()
    {
        c.write_all(&qmtp(
            format!("\nmessage {i}\n").as_bytes(),
            b"s@client",
            rcpts,
        ))
        .unwrap();
        // The answers arrive while the connection stays open for the next message.
        let want = rcpts.len();
        while qmail_netstring_count(&got) < want + if i == 0 { 0 } else { 2 } {
            let n = c.read(&mut buf).unwrap();
            assert!(n > 0, "connection closed early");
            got.extend_from_slice(&buf[..n]);
        }
    }
    drop(c);
    assert_eq!(
        answers(&got),
        vec!["Kok <time> qp <pid>", DOMAIN_NO, "Kok <time> qp <pid>"]
    );
    let rec = h.qq.recorded();
    assert_eq!(rec.len(), 2);
    assert!(rec.iter().all(
        |(m, _)| m.starts_with(b"Received: from unknown (127.0.0.1)\n  by mx.test with QMTP; ")
    ));
}

fn qmail_netstring_count(mut d: &[u8]) -> usize {
    let mut n = 0;
    while let Ok((_, rest)) = qmail_netstring::parse(d) {
        n += 1;
        d = rest;
    }
    n
}
