//! Black-box: the qmail-smtpd binary over pipes, in a private mount namespace where a
//! temporary directory is bind-mounted over the qmail home (needs root and unshare(1)).
//! $QMAILQUEUE (the documented hook) points at a script that records what it was given.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::io::{Read, Write};
use std::process::{Command, Stdio};

use qmail_e2e::{FakeQueue, Receiver};

const BIN: &str = env!("CARGO_BIN_EXE_qmail-smtpd");

/// A home with control/me and rcpthosts, and a fake qmail-queue recording every run.
fn setup(tag: &str) -> Receiver {
    let h = Receiver::new(&format!("smtpd-{tag}"), FakeQueue::new());
    h.home.control("me", "cmp.example\n");
    h.home.control("rcpthosts", "cmp.example\n");
    h
}

/// qmail-smtpd for a client at 127.0.0.1; `env` comes last.
fn command(h: &Receiver, env: &[(&str, &str)]) -> Command {
    let mut c = h.command(
        BIN,
        &[("TCPREMOTEIP", "127.0.0.1"), ("TCPLOCALIP", "127.0.0.1")],
    );
    c.envs(env.iter().copied());
    c
}

/// Run a session with `input` on stdin (then EOF); (exit code, stdout).
fn session(h: &Receiver, env: &[(&str, &str)], input: &[u8]) -> (i32, String) {
    let r = qmail_e2e::feed(&mut command(h, env), input);
    (r.exit(), normalise(&r.stdout))
}

/// `250 ok <time> qp <pid>` varies; everything else is compared byte for byte.
fn normalise(out: &[u8]) -> String {
    let s = String::from_utf8_lossy(out);
    s.split_inclusive("\r\n")
        .map(|l| {
            if l.starts_with("250 ok ") && l.contains(" qp ") {
                "250 ok <time> qp <pid>\r\n".to_string()
            } else {
                l.to_string()
            }
        })
        .collect()
}

fn lines(v: &[&str]) -> String {
    v.iter().map(|l| format!("{l}\r\n")).collect()
}

const MSG: &str = "MAIL FROM:<a@client.example>\r\nRCPT TO:<qcmp@cmp.example>\r\nDATA\r\n";

#[test]
fn delivers_one_message() {
    let h = setup("one");
    let (code, out) = session(
        &h,
        &[],
        format!("HELO client.example\r\n{MSG}Subject: hi\r\n\r\n..body\r\n.\r\nQUIT\r\n")
            .as_bytes(),
    );
    assert_eq!(code, 0);
    assert_eq!(
        out,
        lines(&[
            "220 cmp.example ESMTP",
            "250 cmp.example",
            "250 ok",
            "250 ok",
            "354 go ahead",
            "250 ok <time> qp <pid>",
            "221 cmp.example",
        ])
    );
    let rec = h.qq.recorded();
    assert_eq!(rec.len(), 1);
    let (m, env) = &rec[0];
    let m = String::from_utf8_lossy(m);
    assert!(
        m.starts_with(
            "Received: from unknown (HELO client.example) (127.0.0.1)\n  by 127.0.0.1 with SMTP; "
        ),
        "{m}"
    );
    assert!(m.ends_with(" -0000\nSubject: hi\n\n.body\n"), "{m}");
    assert_eq!(env, b"Fa@client.example\0Tqcmp@cmp.example\0\0");
}

#[test]
fn tcp_environment_in_received() {
    let h = setup("env");
    let env = [
        ("TCPREMOTEIP", "192.0.2.7"),
        ("TCPREMOTEHOST", "client.example"),
        ("TCPREMOTEINFO", "identuser"),
        ("TCPLOCALHOST", "mx.cmp.example"),
    ];
    let (code, _) = session(
        &h,
        &env,
        format!("HELO Client.Example\r\n{MSG}x\r\n.\r\nQUIT\r\n").as_bytes(),
    );
    assert_eq!(code, 0);
    let m = String::from_utf8_lossy(&h.qq.recorded()[0].0).into_owned();
    assert!(
        m.starts_with(
            "Received: from client.example (identuser@192.0.2.7)\n  by mx.cmp.example with SMTP; "
        ),
        "{m}"
    );
}

#[test]
fn controls() {
    let h = setup("controls");
    h.home
        .control("smtpgreeting", "greeting.cmp.example Welcome to the test\n");
    h.home.control("localiphost", "literal.cmp.example\n");
    h.home
        .control("rcpthosts", "cmp.example\nliteral.cmp.example\n");
    let (code, out) = session(
        &h,
        &[],
        b"HELO client.example\r\nEHLO client.example\r\nMAIL FROM:<x@client.example>\r\n\
RCPT TO:<qcmp@[127.0.0.1]>\r\nRCPT TO:<qcmp@[10.255.255.254]>\r\nQUIT\r\n",
    );
    assert_eq!(code, 0);
    assert_eq!(
        out,
        lines(&[
            "220 greeting.cmp.example Welcome to the test ESMTP",
            "250 greeting.cmp.example Welcome to the test",
            "250-greeting.cmp.example Welcome to the test",
            "250-PIPELINING",
            "250 8BITMIME",
            "250 ok",
            "250 ok",
            "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
            "221 greeting.cmp.example Welcome to the test",
        ])
    );
}

#[test]
fn idle_client_times_out() {
    let h = setup("timeout");
    h.home.control("timeoutsmtpd", "1\n");
    let mut child = command(&h, &[])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let _stdin = child.stdin.take().unwrap(); // kept open: the client just sits there
    let started = std::time::Instant::now();
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    assert_eq!(
        normalise(&out),
        lines(&["220 cmp.example ESMTP", "451 timeout (#4.4.2)"])
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
}

#[test]
fn no_greeting_is_421() {
    let h = setup("nome");
    h.home.rm_control("me");
    let (code, out) = session(&h, &[], b"QUIT\r\n");
    assert_eq!(
        (code, out.as_str()),
        (1, "421 unable to read controls (#4.3.0)\r\n")
    );
    h.home.control("smtpgreeting", "only.greeting\n");
    let (code, out) = session(&h, &[], b"QUIT\r\n");
    assert_eq!(code, 0);
    assert_eq!(
        out,
        lines(&["220 only.greeting ESMTP", "221 only.greeting"])
    );
}

#[test]
fn databytes_552_nothing_queued() {
    let h = setup("databytes");
    h.home.control("databytes", "5\n");
    let input = format!("{MSG}123456\r\n.\r\nQUIT\r\n");
    let (code, out) = session(&h, &[], input.as_bytes());
    assert_eq!(code, 0);
    assert!(out.ends_with(&lines(&[
        "354 go ahead",
        "552 sorry, that message size exceeds my databytes limit (#5.3.4)",
        "221 cmp.example",
    ])));
    // the envelope never got its terminating NUL: qmail-queue queues nothing
    for (_, env) in h.qq.recorded() {
        assert!(!env.ends_with(b"\0\0"), "{env:?}");
    }
    // DATABYTES overrides the control
    let (_, out) = session(&h, &[("DATABYTES", "100")], input.as_bytes());
    assert!(out.contains("250 ok <time> qp <pid>\r\n"), "{out}");
}

#[test]
fn bare_lf_drops_the_connection() {
    let h = setup("lf");
    let input = format!("{MSG}Subject: x\r\n\r\nfirst part\n.\r\nMAIL FROM:<s@x>\r\nRCPT TO:<qcmp@cmp.example>\r\nDATA\r\nsmuggled\r\n.\r\nQUIT\r\n");
    let (code, out) = session(&h, &[], input.as_bytes());
    assert_eq!(code, 1);
    assert!(
        out.ends_with(&lines(&[
            "354 go ahead",
            "451 See https://cr.yp.to/docs/smtplf.html."
        ])),
        "{out}"
    );
    for (_, env) in h.qq.recorded() {
        assert!(!env.ends_with(b"\0\0"), "{env:?}");
    }
}

#[test]
fn eof_in_data_queues_nothing() {
    let h = setup("eof");
    let (code, out) = session(&h, &[], format!("{MSG}Subject: x\r\n").as_bytes());
    assert_eq!(code, 1);
    assert!(out.ends_with("354 go ahead\r\n"));
    for (_, env) in h.qq.recorded() {
        assert!(env.is_empty(), "{env:?}");
    }
}

#[test]
fn qq_exit_codes() {
    let h = setup("qq");
    let input = format!("{MSG}x\r\n.\r\nQUIT\r\n");
    let (_, out) = session(&h, &[("QQ_EXIT", "31")], input.as_bytes());
    assert!(
        out.contains("\r\n554 mail server permanently rejected message (#5.3.0)\r\n"),
        "{out}"
    );
    let (_, out) = session(&h, &[("QQ_EXIT", "53")], input.as_bytes());
    assert!(
        out.contains("\r\n451 qq write error or disk full (#4.3.0)\r\n"),
        "{out}"
    );
    // notqmail's custom error: exit 82 with D… (554) or Z… (451) on fd 6. The text ends at
    // its first CR or LF, so a filter cannot add reply lines.
    for (err, want) in [
        (
            "Dcontent refused by policy (#5.7.1)",
            "554 content refused by policy (#5.7.1)",
        ),
        (
            "Zvirus scanner busy (#4.3.0)",
            "451 virus scanner busy (#4.3.0)",
        ),
        ("Dbad\\r\\n250 ok fake", "554 bad"),
        ("Zx", "451 qq temporary problem (#4.3.0)"),
    ] {
        let (_, out) = session(&h, &[("QQ_EXIT", "82"), ("QQ_ERR", err)], input.as_bytes());
        assert!(
            out.contains(&format!("\r\n354 go ahead\r\n{want}\r\n221 ")),
            "{err}: {out}"
        );
    }
    let (_, out) = session(&h, &[("QQ_EXIT", "82")], input.as_bytes());
    assert!(
        out.contains("\r\n451 qq temporary problem (#4.3.0)\r\n"),
        "{out}"
    );
    let (_, out) = session(&h, &[("QMAILQUEUE", "/nonexistent/qq")], input.as_bytes());
    assert!(
        out.contains("\r\n354 go ahead\r\n451 unable to exec qq (#4.3.0)\r\n"),
        "{out}"
    );
}

#[test]
fn relayclient_and_badmailfrom() {
    let h = setup("relay");
    h.home
        .control("badmailfrom", "@bad.example\nwhole@evil.example\n");
    let (_, out) = session(
        &h,
        &[],
        b"MAIL FROM:<x@BAD.example>\r\nRCPT TO:<a@cmp.example>\r\nMAIL FROM:<whole@evil.example>\r\nRCPT TO:<a@cmp.example>\r\nMAIL FROM:<ok@evil.example>\r\nRCPT TO:<a@remote.example>\r\n",
    );
    let bmf = "553 sorry, your envelope sender is in my badmailfrom list (#5.7.1)";
    let nogw = "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)";
    assert_eq!(
        out,
        lines(&[
            "220 cmp.example ESMTP",
            "250 ok",
            bmf,
            "250 ok",
            bmf,
            "250 ok",
            nogw
        ])
    );
    let (_, out) = session(
        &h,
        &[("RELAYCLIENT", "")],
        b"MAIL FROM:<a@b>\r\nRCPT TO:<x@remote.example>\r\nDATA\r\nx\r\n.\r\n",
    );
    assert!(out.contains("250 ok <time> qp <pid>"), "{out}");
    let env = &h.qq.recorded()[0].1;
    assert_eq!(env, b"Fa@b\0Tx@remote.example\0\0");
}

#[test]
fn morercpthosts_cdb() {
    let h = setup("mrh");
    let f = std::fs::File::create(h.home.path("control/morercpthosts.cdb")).unwrap();
    let mut cdb = qmail_core::cdb::CdbMake::new(f);
    cdb.add(b"more.example", b"").unwrap();
    cdb.add(b".deep.example", b"").unwrap();
    cdb.finish().unwrap();
    let input = b"MAIL FROM:<a@b>\r\nRCPT TO:<x@More.Example>\r\nRCPT TO:<x@a.deep.example>\r\nRCPT TO:<x@other.example>\r\n";
    let (_, out) = session(&h, &[], input);
    let nogw = "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)";
    assert_eq!(
        out,
        lines(&["220 cmp.example ESMTP", "250 ok", "250 ok", "250 ok", nogw])
    );
    // without rcpthosts the cdb is not consulted and everything is accepted
    h.home.rm_control("rcpthosts");
    let (_, out) = session(&h, &[], input);
    assert_eq!(
        out,
        lines(&[
            "220 cmp.example ESMTP",
            "250 ok",
            "250 ok",
            "250 ok",
            "250 ok"
        ])
    );
}

#[test]
fn one_mebibyte_line_and_nul() {
    let h = setup("big");
    let mut input = format!("{MSG}Subject: big\r\n\r\nnul\0here\r\n").into_bytes();
    input.extend(std::iter::repeat(b'a').take(1 << 20));
    input.extend_from_slice(b"\r\n.\r\nQUIT\r\n");
    let (code, out) = session(&h, &[("DATABYTES", "2097152")], &input);
    assert_eq!(code, 0);
    assert!(out.contains("250 ok <time> qp <pid>"), "{out}");
    let m = &h.qq.recorded()[0].0;
    let body_at = m.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
    let body = &m[body_at..];
    assert!(body.starts_with(b"nul\0here\n"));
    assert_eq!(body.len(), 9 + (1 << 20) + 1);
}

#[test]
fn timeout_in_data_queues_nothing() {
    let h = setup("datatimeout");
    h.home.control("timeoutsmtpd", "1\n");
    let mut child = command(&h, &[])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{MSG}Subject: half a message\r\n").as_bytes())
        .unwrap();
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    let status = child.wait().unwrap();
    drop(stdin);
    assert_eq!(status.code(), Some(1));
    assert!(normalise(&out).ends_with(&lines(&["354 go ahead", "451 timeout (#4.4.2)"])));
    let rec = h.qq.recorded();
    assert_eq!(rec.len(), 1);
    assert!(rec[0].1.is_empty(), "no envelope: nothing queued");
}

/// The environment of an IPv6 tcpserver (ucspi-tcp-ipv6): an IPv6 client in IPv6 form,
/// an IPv4 client of its IPv6 socket as IPv4; `[IPv6:::1]` is this host (localiphost).
#[test]
fn ipv6_peers_and_address_literals() {
    let h = setup("ipv6");
    h.home.control("localiphost", "literal.cmp.example\n");
    h.home
        .control("rcpthosts", "cmp.example\nliteral.cmp.example\n");
    let env = [
        ("PROTO", "TCP6"),
        ("TCPREMOTEIP", "2001:db8::7"),
        ("TCPLOCALIP", "::1"),
    ];
    let (code, out) = session(
        &h,
        &env,
        b"HELO [IPv6:2001:db8::7]\r\nMAIL FROM:<a@[IPv6:2001:db8::7]>\r\n\
          RCPT TO:<qcmp@[IPv6:::1]>\r\nRCPT TO:<qcmp@[ipv6:0:0:0:0:0:0:0:1]>\r\n\
          RCPT TO:<qcmp@[IPv6:2001:db8::1]>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n",
    );
    assert_eq!(code, 0);
    assert_eq!(
        out,
        lines(&[
            "220 cmp.example ESMTP",
            "250 cmp.example",
            "250 ok",
            "250 ok",
            "250 ok",
            "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
            "354 go ahead",
            "250 ok <time> qp <pid>",
            "221 cmp.example",
        ])
    );
    let (m, envelope) = &h.qq.recorded()[0];
    let m = String::from_utf8_lossy(m).into_owned();
    assert!(
        m.starts_with(
            "Received: from unknown (HELO [IPv6:2001:db8::7]) (2001:db8::7)\n  by ::1 with SMTP; "
        ),
        "{m}"
    );
    assert_eq!(
        envelope,
        b"Fa@[IPv6:2001:db8::7]\0Tqcmp@literal.cmp.example\0Tqcmp@literal.cmp.example\0\0"
    );
    let (_, _) = session(
        &h,
        &[
            ("TCPREMOTEIP", "::ffff:192.0.2.9"),
            ("TCPLOCALIP", "::ffff:192.0.2.1"),
        ],
        format!("HELO c\r\n{MSG}x\r\n.\r\nQUIT\r\n").as_bytes(),
    );
    let m = String::from_utf8_lossy(&h.qq.recorded()[1].0).into_owned();
    assert!(
        m.starts_with("Received: from unknown (HELO c) (192.0.2.9)\n  by 192.0.2.1 with SMTP; "),
        "{m}"
    );
}
