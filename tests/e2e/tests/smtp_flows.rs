//! SMTP in, end to end: real clients (swaks, Python's smtplib, raw sockets) talk to
//! qmail-smtpd under a real tcpserver (Debian ucspi-tcp) running as qmaild/nofiles on
//! 127.0.0.1, with qmail-send running, so accepted mail ends up in a Maildir.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use qmail_e2e::{mailbox, maildir_messages, wait_for, Daemon, Sandbox};

const DOMAIN: &str = "e2e.example";

/// tcpserver with qmail-smtpd on a free loopback port.
struct Smtpd {
    port: u16,
    _daemon: Daemon,
}

fn group_id(name: &str) -> String {
    let out = Command::new("getent")
        .args(["group", name])
        .output()
        .unwrap();
    let line = String::from_utf8(out.stdout).unwrap();
    line.split(':').nth(2).expect("nofiles group").to_string()
}

/// Start `tcpserver -u qmaild -g nofiles 127.0.0.1 PORT qmail-smtpd` in the sandbox.
/// The port is one the kernel just handed out; if someone takes it first, try another.
fn smtpd(sb: &Sandbox, env: &str) -> Smtpd {
    smtpd_with(sb, env, "", "/var/qmail/bin/qmail-smtpd")
}

/// The same with more tcpserver options and another program line.
fn smtpd_with(sb: &Sandbox, env: &str, opts: &str, prog: &str) -> Smtpd {
    let uid = qmail_e2e::uid_of("qmaild");
    let gid = group_id("nofiles");
    let (port, d) = sb.start_tcpserver(|port| {
        format!(
            "exec env - PATH=/var/qmail/bin:/usr/bin:/bin {env} \
             tcpserver -v -R -H -l {DOMAIN} {opts} -u {uid} -g {gid} 127.0.0.1 {port} {prog}"
        )
    });
    Smtpd { port, _daemon: d }
}

/// A sandbox with `me`, `locals` and `rcpthosts` naming DOMAIN only, and qmail-send running.
fn system() -> (Sandbox, Daemon) {
    let sb = Sandbox::new();
    sb.control("me", &[DOMAIN]);
    sb.control("locals", &[DOMAIN]);
    sb.control("rcpthosts", &[DOMAIN]);
    let send = sb.start_send("./Maildir/");
    (sb, send)
}

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s
}

/// Send everything at once, half-close, and read the replies until the server closes.
fn raw_session(port: u16, input: &[u8]) -> String {
    let mut s = connect(port);
    let mut greeting = [0u8; 512];
    let n = s.read(&mut greeting).unwrap();
    s.write_all(input).unwrap();
    // The server may drop the connection before it has read everything (bare LF); a
    // reset is then the expected end.
    let _ = s.shutdown(Shutdown::Write);
    let mut out = greeting[..n].to_vec();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The reply lines of a session transcript.
fn replies(t: &str) -> Vec<String> {
    t.split_terminator("\r\n").map(str::to_string).collect()
}

fn is_accepted(line: &str) -> bool {
    let w: Vec<&str> = line.split(' ').collect();
    w.len() == 5
        && w[0] == "250"
        && w[1] == "ok"
        && w[2].parse::<u64>().is_ok()
        && w[3] == "qp"
        && w[4].parse::<u32>().is_ok()
}

fn wait_messages(maildir: &Path, n: usize) -> Vec<Vec<u8>> {
    wait_for(30, || maildir_messages(maildir).len() >= n);
    maildir_messages(maildir)
}

fn maildir(home: &Path) -> PathBuf {
    home.join("Maildir")
}

/// The message as the client sent it, after qmail-local's and qmail-queue's header lines
/// and qmail-smtpd's Received line.
fn body_after_received(m: &[u8]) -> &[u8] {
    let s = m
        .windows(10)
        .position(|w| w == b"with SMTP;")
        .expect("smtpd Received");
    let nl = m[s..].iter().position(|&b| b == b'\n').unwrap();
    &m[s + nl + 1..]
}

#[test]
fn swaks_and_smtplib_deliver_to_a_maildir() {
    let (sb, send) = system();
    let home = mailbox(&sb, "alice");
    let d = smtpd(&sb, "");
    let out = Command::new("swaks")
        .args(["--server", "127.0.0.1", "--port", &d.port.to_string()])
        .args(["--helo", "client.example", "--from", "bob@client.example"])
        .args(["--to", &format!("alice@{DOMAIN}")])
        .args([
            "--header",
            "Subject: via swaks",
            "--body",
            "swaks body line",
        ])
        .output()
        .unwrap();
    let t = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains(&format!("<-  220 {DOMAIN} ESMTP")), "{t}");
    assert!(
        t.contains("<-  250-PIPELINING") && t.contains("<-  250 8BITMIME"),
        "{t}"
    );
    assert!(t.contains("<-  354 go ahead"), "{t}");
    assert!(t.contains(&format!("<-  221 {DOMAIN}")), "{t}");

    // swaks --pipeline: MAIL, both RCPTs and DATA in one write; one recipient refused.
    let out = Command::new("swaks")
        .args([
            "--server",
            "127.0.0.1",
            "--port",
            &d.port.to_string(),
            "--pipeline",
        ])
        .args(["--helo", "pipe.example", "--from", "dave@client.example"])
        .args(["--to", &format!("alice@{DOMAIN},nobody@remote.example")])
        .args([
            "--header",
            "Subject: via swaks pipeline",
            "--body",
            "pipelined",
        ])
        .output()
        .unwrap();
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(
        t.contains("<** 553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)"),
        "{t}"
    );
    assert!(
        t.contains("<-  354 go ahead") && t.contains("<-  250 ok "),
        "{t}"
    );

    let py = format!(
        r#"
import smtplib
s = smtplib.SMTP("127.0.0.1", {port})
code, text = s.ehlo("py.example")
assert code == 250 and b"PIPELINING" in text, (code, text)
refused = s.sendmail("carol@py.example", ["alice@{DOMAIN}"],
    b"Subject: via smtplib\r\n\r\nsmtplib body\r\n..leading dot\r\n")
assert refused == {{}}, refused
print(s.quit())
"#,
        port = d.port
    );
    let out = Command::new("python3").args(["-c", &py]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("(221, b'{DOMAIN}')")));

    let msgs = wait_messages(&maildir(&home), 3);
    assert_eq!(msgs.len(), 3, "{}", send.log_text());
    let texts: Vec<String> = msgs
        .iter()
        .map(|m| String::from_utf8_lossy(m).into_owned())
        .collect();
    let swaks = texts
        .iter()
        .find(|m| m.contains("via swaks"))
        .expect("swaks");
    assert!(
        swaks.starts_with(&format!(
            "Return-Path: <bob@client.example>\nDelivered-To: alice@{DOMAIN}\nReceived: (qmail "
        )),
        "{swaks}"
    );
    assert!(
        swaks.contains(&format!(
            "Received: from unknown (HELO client.example) (127.0.0.1)\n  by {DOMAIN} with SMTP; "
        )),
        "{swaks}"
    );
    assert!(swaks.contains("\nswaks body line\n"), "{swaks}");
    assert!(!swaks.contains('\r'), "CR LF became LF: {swaks:?}");
    let py = texts
        .iter()
        .find(|m| m.contains("via smtplib"))
        .expect("smtplib");
    assert!(py.starts_with("Return-Path: <carol@py.example>\n"), "{py}");
    assert!(py.contains("(HELO py.example) (127.0.0.1)"), "{py}");
    assert!(
        py.ends_with("Subject: via smtplib\n\nsmtplib body\n..leading dot\n"),
        "smtplib stuffs the dot, qmail-smtpd unstuffs it: {py}"
    );
    assert!(sb.wait_queue_empty(20), "{}", send.log_text());
}

/// Relay attempts whose final domain is not ours: 553 at RCPT, then DATA has no
/// recipient, and nothing reaches the queue.
#[test]
fn open_relay_forms_are_refused() {
    let (sb, send) = system();
    let _home = mailbox(&sb, "relayowner");
    let d = smtpd(&sb, "");
    let refused = [
        "<victim@remote.example>",
        "<victim%e2e.example@remote.example>", // percent hack, pointed the other way
        "<e2e.example!victim@remote.example>", // ! path ending at a foreign domain
        "<\"victim@remote.example\">",         // quoted @: the quotes go, the @ stays
        "<\"victim@e2e.example\"@remote.example>",
        "<@e2e.example:victim@remote.example>", // source route: dropped, remote stays
        "<@e2e.example,@relay.example:victim@remote.example>",
        "<@[127.0.0.1]:victim@remote.example>",
        "<victim@e2e.example.>", // trailing dot: not the same name for rcpthosts
        "<victim@remote.example.>",
        "<victim@[1.2.3.4]>", // IP literal that is not one of ours
        "<victim@e2e.example@[1.2.3.4]>",
        "<victim@REMOTE.EXAMPLE>",
        "<victim@sub.e2e.example>", // a subdomain needs its own .e2e.example line
        "TO:victim@remote.example", // RFC 821 without brackets
        "<\"victim\"@remote.example>",
        "<victim\\@e2e.example@remote.example>",
    ];
    let mut input = b"EHLO relay.example\r\nMAIL FROM:<spam@relay.example>\r\n".to_vec();
    for r in refused {
        input.extend_from_slice(format!("RCPT TO:{r}\r\n").as_bytes());
    }
    input.extend_from_slice(b"DATA\r\nQUIT\r\n");
    let t = raw_session(d.port, &input);
    let rs = replies(&t);
    let expected_tail: Vec<String> = std::iter::once("250 ok".to_string())
        .chain(refused.iter().map(|_| {
            "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)".to_string()
        }))
        .chain([
            "503 RCPT first (#5.5.1)".to_string(),
            format!("221 {DOMAIN}"),
        ])
        .collect();
    assert_eq!(rs[4..].to_vec(), expected_tail, "{t}");
    std::thread::sleep(Duration::from_millis(500));
    assert!(sb.mess_files().is_empty(), "queued: {:?}", sb.mess_files());
    assert!(sb.ls("queue/todo").is_empty());
    assert!(!send.log_text().contains("new msg"), "{}", send.log_text());
}

/// The classic forms whose last domain is ours are accepted, as qmail accepts them: they
/// are local addresses (no percenthack control), so qmail-send delivers (or bounces)
/// them locally and nothing is ever handed to qmail-remote. Not a relay.
#[test]
fn local_looking_relay_forms_stay_local() {
    let (sb, send) = system();
    sb.control("doublebounceto", &[]);
    let d = smtpd(&sb, "");
    let accepted = [
        "<victim%remote.example@e2e.example>",
        "<remote.example!victim@e2e.example>",
        "<remote.example!victim>",
        "<victim%remote.example>",
        "<victim@remote.example@e2e.example>",
        "<\"victim@remote.example\"@e2e.example>",
        "<victim%remote.example@[127.0.0.1]>", // our own address: localiphost
        "<@remote.example:victim@e2e.example>",
    ];
    let mut input = b"HELO relay.example\r\nMAIL FROM:<>\r\n".to_vec();
    for r in accepted {
        input.extend_from_slice(format!("RCPT TO:{r}\r\n").as_bytes());
    }
    input.extend_from_slice(b"DATA\r\nSubject: relay?\r\n\r\nx\r\n.\r\nQUIT\r\n");
    let t = raw_session(d.port, &input);
    let rs = replies(&t);
    assert_eq!(rs.len(), 2 + accepted.len() + 4, "{t}");
    assert!(
        rs[2..2 + accepted.len()].iter().all(|r| r == "250 ok"),
        "{t}"
    );
    assert!(is_accepted(&rs[rs.len() - 2]), "{t}");
    assert!(sb.wait_queue_empty(30), "{}", send.log_text());
    let log = send.log_text();
    let starts: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("starting delivery"))
        .collect();
    assert!(starts.len() >= accepted.len(), "{log}");
    assert!(starts.iter().all(|l| l.contains(" to local ")), "{log}");
    assert!(!log.contains(" to remote "), "{log}");
}

/// The SMTP smuggling probes: the client ends its first message with something a lax
/// server might take for end-of-data, then pipelines a second, forged transaction.
#[test]
fn smuggling_probes_never_make_a_second_message() {
    let (sb, send) = system();
    let victim = mailbox(&sb, "victim");
    let forged = mailbox(&sb, "forged");
    let d = smtpd(&sb, "");
    let head = format!(
        "EHLO attacker.example\r\nMAIL FROM:<a@attacker.example>\r\nRCPT TO:<victim@{DOMAIN}>\r\nDATA\r\nSubject: first\r\n\r\nfirst body"
    );
    let smuggled = format!(
        "MAIL FROM:<ceo@{DOMAIN}>\r\nRCPT TO:<forged@{DOMAIN}>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled body\r\n"
    );
    let bare_lf = ["\n.\n", "\n.\r\n", "\r\n.\n"];
    let lone_cr = ["\r.\r\n", "\r\n.\r"];
    let mut delivered = 0usize;
    for probe in bare_lf.iter().chain(lone_cr.iter()) {
        let input = format!("{head}{probe}{smuggled}.\r\nQUIT\r\n");
        let t = raw_session(d.port, input.as_bytes());
        let rs = replies(&t);
        assert_eq!(
            rs[..6],
            [
                format!("220 {DOMAIN} ESMTP"),
                format!("250-{DOMAIN}"),
                "250-PIPELINING".to_string(),
                "250 8BITMIME".to_string(),
                "250 ok".to_string(),
                "250 ok".to_string(),
            ],
            "{probe:?}: {t}"
        );
        assert_eq!(rs[6], "354 go ahead", "{probe:?}: {t}");
        if bare_lf.contains(probe) {
            // The bare LF ends the session: 451 and the connection is dropped.
            assert_eq!(
                rs[7..].to_vec(),
                vec!["451 See https://cr.yp.to/docs/smtplf.html.".to_string()],
                "{probe:?}: {t}"
            );
        } else {
            // Only CR LF . CR LF ends the data: one message, then QUIT.
            assert_eq!(rs.len(), 9, "{probe:?}: {t}");
            assert!(is_accepted(&rs[7]), "{probe:?}: {t}");
            assert_eq!(rs[8], format!("221 {DOMAIN}"), "{probe:?}: {t}");
            delivered += 1;
            let msgs = wait_messages(&maildir(&victim), delivered);
            assert_eq!(msgs.len(), delivered, "{probe:?}");
            // The probe is inside the one message (CR LF → LF, the line-start dot
            // dropped), followed by the forged commands as text.
            let decoded: &[u8] = if *probe == "\r.\r\n" {
                b"first body\r.\nMAIL FROM:"
            } else {
                b"first body\n.\rMAIL FROM:"
            };
            let with_probe: Vec<&Vec<u8>> = msgs
                .iter()
                .filter(|m| {
                    let b = body_after_received(m);
                    b.windows(decoded.len()).any(|w| w == decoded)
                })
                .collect();
            assert_eq!(with_probe.len(), 1, "{probe:?}: {msgs:?}");
            let b = body_after_received(with_probe[0]);
            assert!(b.starts_with(b"Subject: first\n\nfirst body"), "{probe:?}");
            assert!(
                b.ends_with(b"Subject: smuggled\n\nsmuggled body\n"),
                "{probe:?}"
            );
        }
    }
    assert!(sb.wait_queue_empty(30), "{}", send.log_text());
    assert_eq!(maildir_messages(&maildir(&victim)).len(), lone_cr.len());
    assert!(maildir_messages(&maildir(&forged)).is_empty());
    let log = send.log_text();
    assert_eq!(log.matches("new msg").count(), lone_cr.len(), "{log}");
}

/// A whole session in one write: two transactions, one of them with two recipients.
#[test]
fn pipelined_session_in_one_write() {
    let (sb, send) = system();
    let p1 = mailbox(&sb, "pipe1");
    let p2 = mailbox(&sb, "pipe2");
    let d = smtpd(&sb, "");
    let input = format!(
        "EHLO pipe.example\r\nMAIL FROM:<s@pipe.example>\r\nRCPT TO:<pipe1@{DOMAIN}>\r\n\
         RCPT TO:<victim@remote.example>\r\nRCPT TO:<pipe2@{DOMAIN}>\r\nDATA\r\n\
         Subject: one\r\n\r\nfirst\r\n.\r\nRSET\r\nMAIL FROM:<t@pipe.example>\r\n\
         RCPT TO:<pipe2@{DOMAIN}>\r\nDATA\r\nSubject: two\r\n\r\nsecond\r\n.\r\nNOOP\r\nQUIT\r\n"
    );
    let t = raw_session(d.port, input.as_bytes());
    let rs = replies(&t);
    assert_eq!(rs.len(), 17, "{t}");
    assert_eq!(
        rs[4..10],
        [
            "250 ok",
            "250 ok",
            "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
            "250 ok",
            "354 go ahead",
            rs[9].as_str(),
        ],
        "{t}"
    );
    assert!(is_accepted(&rs[9]), "{t}");
    assert_eq!(
        rs[10..14],
        ["250 flushed", "250 ok", "250 ok", "354 go ahead"],
        "{t}"
    );
    assert!(is_accepted(&rs[14]), "{t}");
    assert_eq!(
        rs[15..],
        ["250 ok".to_string(), format!("221 {DOMAIN}")],
        "{t}"
    );
    let m1 = wait_messages(&maildir(&p1), 1);
    let m2 = wait_messages(&maildir(&p2), 2);
    assert_eq!(m1.len(), 1);
    assert_eq!(m2.len(), 2);
    assert!(body_after_received(&m1[0]) == b"Subject: one\n\nfirst\n");
    let mut b2: Vec<&[u8]> = m2.iter().map(|m| body_after_received(m)).collect();
    b2.sort();
    assert_eq!(
        b2,
        [&b"Subject: one\n\nfirst\n"[..], b"Subject: two\n\nsecond\n"]
    );
    assert!(sb.wait_queue_empty(20), "{}", send.log_text());
}

/// Over databytes: the data is read to its end, 552, nothing queued, and the session
/// goes on (a small message after it is accepted).
#[test]
fn databytes_refuses_with_552_and_queues_nothing() {
    let (sb, send) = system();
    sb.control("databytes", &["1000"]);
    let home = mailbox(&sb, "big");
    let d = smtpd(&sb, "");
    let big = format!("Subject: big\r\n\r\n{}\r\n", "x".repeat(70).repeat(20));
    let input = format!(
        "HELO c.example\r\nMAIL FROM:<s@c.example>\r\nRCPT TO:<big@{DOMAIN}>\r\nDATA\r\n{big}.\r\n\
         MAIL FROM:<s@c.example>\r\nRCPT TO:<big@{DOMAIN}>\r\nDATA\r\nSubject: small\r\n\r\nok\r\n.\r\nQUIT\r\n"
    );
    let t = raw_session(d.port, input.as_bytes());
    let rs = replies(&t);
    assert_eq!(
        rs[4..6],
        [
            "354 go ahead",
            "552 sorry, that message size exceeds my databytes limit (#5.3.4)"
        ],
        "{t}"
    );
    assert!(is_accepted(&rs[9]), "{t}");
    let msgs = wait_messages(&maildir(&home), 1);
    std::thread::sleep(Duration::from_millis(500));
    let msgs2 = maildir_messages(&maildir(&home));
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs2.len(), 1);
    assert_eq!(body_after_received(&msgs[0]), b"Subject: small\n\nok\n");
    assert!(sb.wait_queue_empty(20), "{}", send.log_text());
    assert_eq!(send.log_text().matches("new msg").count(), 1);

    // $DATABYTES overrides the control file: exactly at the limit passes, one more fails.
    let d2 = smtpd(&sb, "DATABYTES=20");
    let msg = |body: &str| {
        format!("HELO c\r\nMAIL FROM:<s@c>\r\nRCPT TO:<big@{DOMAIN}>\r\nDATA\r\n{body}\r\n.\r\nQUIT\r\n")
    };
    let t = raw_session(d2.port, msg(&"y".repeat(19)).as_bytes()); // 19 + LF = 20
    assert!(is_accepted(&replies(&t)[5]), "{t}");
    let t = raw_session(d2.port, msg(&"y".repeat(20)).as_bytes());
    assert_eq!(
        replies(&t)[5],
        "552 sorry, that message size exceeds my databytes limit (#5.3.4)",
        "{t}"
    );
    assert_eq!(wait_messages(&maildir(&home), 2).len(), 2);
    assert!(sb.wait_queue_empty(20));
    assert_eq!(send.log_text().matches("new msg").count(), 2);
}

#[test]
fn badmailfrom_refuses_at_rcpt() {
    let (sb, send) = system();
    sb.control("badmailfrom", &["spammer@bad.example", "@worse.example"]);
    let home = mailbox(&sb, "bmf");
    let d = smtpd(&sb, "");
    for sender in [
        "spammer@bad.example",
        "SPAMMER@Bad.Example",
        "anyone@worse.example",
    ] {
        let input =
            format!("HELO c\r\nMAIL FROM:<{sender}>\r\nRCPT TO:<bmf@{DOMAIN}>\r\nDATA\r\nQUIT\r\n");
        let t = raw_session(d.port, input.as_bytes());
        assert_eq!(
            replies(&t)[2..],
            [
                "250 ok",
                "553 sorry, your envelope sender is in my badmailfrom list (#5.7.1)",
                "503 RCPT first (#5.5.1)",
                &format!("221 {DOMAIN}"),
            ],
            "{sender}: {t}"
        );
    }
    // Neither a subdomain nor another local part at bad.example is listed.
    for sender in ["other@bad.example", "x@sub.worse.example", ""] {
        let input = format!(
            "HELO c\r\nMAIL FROM:<{sender}>\r\nRCPT TO:<bmf@{DOMAIN}>\r\nDATA\r\nfrom <{sender}>\r\n.\r\nQUIT\r\n"
        );
        let t = raw_session(d.port, input.as_bytes());
        assert!(is_accepted(&replies(&t)[5]), "{sender}: {t}");
    }
    assert_eq!(wait_messages(&maildir(&home), 3).len(), 3);
    assert!(sb.wait_queue_empty(20), "{}", send.log_text());
    assert_eq!(send.log_text().matches("new msg").count(), 3);
}

/// NUL bytes, 8-bit bytes, a bare CR and a 1 MiB line arrive byte for byte.
#[test]
fn nul_and_one_mebibyte_line_arrive_intact() {
    let (sb, send) = system();
    let home = mailbox(&sb, "bytes");
    let d = smtpd(&sb, "");
    let mut long = Vec::with_capacity(1 << 20);
    for i in 0..(1usize << 20) {
        long.push(b"abcdefghijklmnopqrstuvwxyz0123456789"[i % 36]);
    }
    let mut sent =
        b"Subject: bytes\r\n\r\nnul:\0:here\r\n8bit:\xe9\xff\x80\r\nbare\rcr\r\n".to_vec();
    sent.extend_from_slice(&long);
    sent.extend_from_slice(b"\r\n..dot\r\n\0\r\n");
    let mut expected = b"Subject: bytes\n\nnul:\0:here\n8bit:\xe9\xff\x80\nbare\rcr\n".to_vec();
    expected.extend_from_slice(&long);
    expected.extend_from_slice(b"\n.dot\n\0\n");
    let mut input = format!(
        "EHLO c\r\nMAIL FROM:<s@c.example> BODY=8BITMIME\r\nRCPT TO:<bytes@{DOMAIN}>\r\nDATA\r\n"
    )
    .into_bytes();
    input.extend_from_slice(&sent);
    input.extend_from_slice(b".\r\nQUIT\r\n");
    let t = raw_session(d.port, &input);
    let rs = replies(&t);
    assert!(is_accepted(&rs[rs.len() - 2]), "{t}");
    let msgs = wait_messages(&maildir(&home), 1);
    assert_eq!(msgs.len(), 1, "{}", send.log_text());
    let got = body_after_received(&msgs[0]);
    assert_eq!(got.len(), expected.len());
    assert!(got == &expected[..], "message bytes differ");
    assert!(sb.wait_queue_empty(20));
}

/// A client that goes away in the middle of DATA leaves nothing in the queue.
#[test]
fn disconnect_mid_data_queues_nothing() {
    let (sb, send) = system();
    let home = mailbox(&sb, "cut");
    let d = smtpd(&sb, "");
    let input = format!(
        "HELO c\r\nMAIL FROM:<s@c>\r\nRCPT TO:<cut@{DOMAIN}>\r\nDATA\r\nSubject: cut\r\n\r\nhalf a message\r\n.."
    );
    let t = raw_session(d.port, input.as_bytes());
    assert_eq!(
        replies(&t).last().map(String::as_str),
        Some("354 go ahead"),
        "{t}"
    );
    std::thread::sleep(Duration::from_secs(1));
    assert!(sb.wait_queue_empty(10), "{:?}", sb.mess_files());
    assert!(sb.ls("queue/intd").is_empty() && sb.ls("queue/pid").is_empty());
    assert!(maildir_messages(&maildir(&home)).is_empty());
    assert!(!send.log_text().contains("new msg"), "{}", send.log_text());
}

/// The relay rules that qmail-setup installs (control/tcp.smtp, compiled with tcprules):
/// 127.0.0.1 gets RELAYCLIENT and may send anywhere; without the rules it may not.
#[test]
fn installed_tcp_smtp_rules_let_localhost_relay() {
    let (sb, _send) = system();
    let cdb = sb.path("control/tcp.smtp.cdb");
    assert!(cdb.exists(), "qmail-setup compiled control/tcp.smtp");
    let session = "HELO c\r\nMAIL FROM:<s@c>\r\nRCPT TO:<far@remote.example>\r\nRCPT TO:<\"q@remote.example\">\r\nQUIT\r\n";
    let with_rules = smtpd_with(
        &sb,
        "",
        "-x /var/qmail/control/tcp.smtp.cdb",
        "/var/qmail/bin/qmail-smtpd",
    );
    let t = raw_session(with_rules.port, session.as_bytes());
    assert_eq!(replies(&t)[2..5], ["250 ok", "250 ok", "250 ok"], "{t}");
    let without = smtpd(&sb, "");
    let t = raw_session(without.port, session.as_bytes());
    assert_eq!(
        replies(&t)[3],
        "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
        "{t}"
    );
    // A rule's RELAYCLIENT value is appended to every recipient.
    let rules = sb.scratch().join("rules");
    std::fs::write(&rules, "127.0.0.1:allow,RELAYCLIENT=\"@e2e.example\"\n").unwrap();
    let cdb2 = rules.with_extension("cdb");
    let st = Command::new("tcprules")
        .arg(&cdb2)
        .arg(rules.with_extension("tmp"))
        .stdin(std::fs::File::open(&rules).unwrap())
        .status()
        .unwrap();
    assert!(st.success());
    let home = mailbox(&sb, "appended");
    let d = smtpd_with(
        &sb,
        "",
        &format!("-x {}", cdb2.display()),
        "/var/qmail/bin/qmail-smtpd",
    );
    let t = raw_session(
        d.port,
        b"HELO c\r\nMAIL FROM:<s@c>\r\nRCPT TO:<appended>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n",
    );
    assert!(is_accepted(&replies(&t)[5]), "{t}");
    let m = wait_messages(&maildir(&home), 1);
    assert_eq!(m.len(), 1);
    assert!(String::from_utf8_lossy(&m[0]).contains("Delivered-To: appended@e2e.example\n"));
}

/// inetd style: nothing in the environment but the socket on fd 0; tcp-env fills in
/// PROTO and the TCP* variables for qmail-smtpd.
#[test]
fn tcp_env_describes_the_connection_like_inetd() {
    let (sb, _send) = system();
    let home = mailbox(&sb, "inetd");
    let d = smtpd_with(
        &sb,
        "",
        "",
        "env -i PATH=/var/qmail/bin:/usr/bin:/bin /var/qmail/bin/tcp-env -R /var/qmail/bin/qmail-smtpd",
    );
    let input = format!(
        "HELO inetd.client\r\nMAIL FROM:<s@c>\r\nRCPT TO:<inetd@{DOMAIN}>\r\nDATA\r\nSubject: inetd\r\n\r\nvia tcp-env\r\n.\r\nQUIT\r\n"
    );
    let t = raw_session(d.port, input.as_bytes());
    assert!(is_accepted(&replies(&t)[5]), "{t}");
    let m = wait_messages(&maildir(&home), 1);
    assert_eq!(m.len(), 1);
    let text = String::from_utf8_lossy(&m[0]);
    // Without a PTR record the remote host is "unknown" and the local name is the
    // address; with one, tcp-env puts the names in (both are fine here).
    let r = text
        .lines()
        .skip_while(|l| !l.starts_with("Received: from "))
        .take(2)
        .collect::<Vec<_>>();
    assert!(
        r[0].starts_with("Received: from ") && r[0].ends_with(" (HELO inetd.client) (127.0.0.1)"),
        "{text}"
    );
    assert!(
        r[1].starts_with("  by ") && !r[1].starts_with("  by unknown "),
        "{text}"
    );
    assert!(text.ends_with("Subject: inetd\n\nvia tcp-env\n"), "{text}");
}

/// A client that stops sending in the middle of DATA gets `451 timeout` after
/// timeoutsmtpd seconds, and nothing is queued.
#[test]
fn timeout_mid_data_queues_nothing() {
    let (sb, send) = system();
    sb.control("timeoutsmtpd", &["2"]);
    let _home = mailbox(&sb, "slow");
    let d = smtpd(&sb, "");
    let mut s = connect(d.port);
    s.write_all(
        format!("HELO c\r\nMAIL FROM:<s@c>\r\nRCPT TO:<slow@{DOMAIN}>\r\nDATA\r\nSubject: slow\r\n\r\npart").as_bytes(),
    )
    .unwrap();
    let t0 = std::time::Instant::now();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let t = String::from_utf8_lossy(&out).into_owned();
    assert!(t0.elapsed() >= Duration::from_millis(1900), "{t}");
    assert_eq!(
        replies(&t)[4..],
        ["354 go ahead", "451 timeout (#4.4.2)"],
        "{t}"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(sb.wait_queue_empty(5), "{:?}", sb.mess_files());
    assert!(!send.log_text().contains("new msg"), "{}", send.log_text());
}

/// control/morercpthosts compiled by qmail-newmrh, read by qmail-smtpd running as qmaild.
#[test]
fn morercpthosts_from_qmail_newmrh() {
    let (sb, _send) = system();
    sb.control("morercpthosts", &["more.example", ".deep.example"]);
    let r = sb.sh("cd /var/qmail && umask 077 && bin/qmail-newmrh");
    assert_eq!(r.code, Some(0), "{}", r.stderr_str());
    assert!(sb.path("control/morercpthosts.cdb").exists());
    let d = smtpd(&sb, "");
    let t = raw_session(
        d.port,
        b"HELO c\r\nMAIL FROM:<s@c>\r\nRCPT TO:<a@MORE.example>\r\nRCPT TO:<b@x.deep.example>\r\n\
          RCPT TO:<c@deep.example>\r\nRCPT TO:<d@e2e.example>\r\nRCPT TO:<e@less.example>\r\nQUIT\r\n",
    );
    let no = "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)";
    assert_eq!(
        replies(&t)[2..],
        [
            "250 ok",
            "250 ok",
            "250 ok",
            no,
            "250 ok",
            no,
            &format!("221 {DOMAIN}")
        ],
        "{t}"
    );
}
