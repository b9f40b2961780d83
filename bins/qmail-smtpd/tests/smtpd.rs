//! Black-box: the qmail-smtpd binary over pipes, in a private mount namespace where a
//! temporary directory is bind-mounted over the qmail home (needs root and unshare(1)).
//! $QMAILQUEUE (the documented hook) points at a script that records what it was given.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use qmail_core::auto::QMAIL;

struct Home {
    dir: PathBuf,
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The fake qmail-queue: the message to mess.N, the envelope to env.N, exit $QQ_EXIT.
const FAKE_QQ: &str = "#!/bin/sh\nn=$$\ncat > \"$QQ_REC/mess.$n\"\ncat <&1 > \"$QQ_REC/env.$n\"\nexit ${QQ_EXIT:-0}\n";

impl Home {
    fn new(tag: &str) -> Home {
        let dir = std::env::temp_dir().join(format!("smtpd-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("control")).unwrap();
        std::fs::create_dir_all(dir.join("rec")).unwrap();
        let qq = dir.join("fake-qq");
        std::fs::write(&qq, FAKE_QQ).unwrap();
        std::fs::set_permissions(&qq, std::fs::Permissions::from_mode(0o755)).unwrap();
        let h = Home { dir };
        h.ctl("me", "cmp.example\n");
        h.ctl("rcpthosts", "cmp.example\n");
        h
    }

    fn ctl(&self, name: &str, text: &str) {
        std::fs::write(self.dir.join("control").join(name), text).unwrap();
    }

    fn rm(&self, name: &str) {
        std::fs::remove_file(self.dir.join("control").join(name)).unwrap();
    }

    /// (message, envelope) of every qmail-queue run, in no particular order.
    fn recorded(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let rec = self.dir.join("rec");
        let mut out = Vec::new();
        for e in std::fs::read_dir(&rec).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            if let Some(n) = name.strip_prefix("mess.") {
                let m = std::fs::read(rec.join(&name)).unwrap();
                let env = std::fs::read(rec.join(format!("env.{n}"))).unwrap_or_default();
                out.push((m, env));
            }
        }
        out
    }

    fn command(&self, env: &[(&str, &str)]) -> Command {
        let bin = env!("CARGO_BIN_EXE_qmail-smtpd");
        let script = format!(
            "mkdir -p {QMAIL} && mount --bind {h} {QMAIL} && exec {bin}",
            h = self.dir.display()
        );
        let mut c = Command::new("unshare");
        c.args(["-m", "sh", "-c", &script])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("QMAILQUEUE", self.dir.join("fake-qq"))
            .env("QQ_REC", self.dir.join("rec"))
            .env("TCPREMOTEIP", "127.0.0.1")
            .env("TCPLOCALIP", "127.0.0.1");
        for (k, v) in env {
            c.env(k, v);
        }
        c
    }

    /// Run a session with `input` on stdin (then EOF); (exit code, stdout).
    fn session(&self, env: &[(&str, &str)], input: &[u8]) -> (i32, String) {
        let mut child = self
            .command(env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let mut out = Vec::new();
        child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
        let status = child.wait().unwrap();
        writer.join().unwrap();
        (status.code().unwrap_or(-1), normalise(&out))
    }
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
    let h = Home::new("one");
    let (code, out) = h.session(
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
    let rec = h.recorded();
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
    let h = Home::new("env");
    let env = [
        ("TCPREMOTEIP", "192.0.2.7"),
        ("TCPREMOTEHOST", "client.example"),
        ("TCPREMOTEINFO", "identuser"),
        ("TCPLOCALHOST", "mx.cmp.example"),
    ];
    let (code, _) = h.session(
        &env,
        format!("HELO Client.Example\r\n{MSG}x\r\n.\r\nQUIT\r\n").as_bytes(),
    );
    assert_eq!(code, 0);
    let m = String::from_utf8_lossy(&h.recorded()[0].0).into_owned();
    assert!(
        m.starts_with(
            "Received: from client.example (identuser@192.0.2.7)\n  by mx.cmp.example with SMTP; "
        ),
        "{m}"
    );
}

#[test]
fn controls() {
    let h = Home::new("controls");
    h.ctl("smtpgreeting", "greeting.cmp.example Welcome to the test\n");
    h.ctl("localiphost", "literal.cmp.example\n");
    h.ctl("rcpthosts", "cmp.example\nliteral.cmp.example\n");
    let (code, out) = h.session(
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
    let h = Home::new("timeout");
    h.ctl("timeoutsmtpd", "1\n");
    let mut child = h
        .command(&[])
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
    let h = Home::new("nome");
    h.rm("me");
    let (code, out) = h.session(&[], b"QUIT\r\n");
    assert_eq!(
        (code, out.as_str()),
        (1, "421 unable to read controls (#4.3.0)\r\n")
    );
    h.ctl("smtpgreeting", "only.greeting\n");
    let (code, out) = h.session(&[], b"QUIT\r\n");
    assert_eq!(code, 0);
    assert_eq!(
        out,
        lines(&["220 only.greeting ESMTP", "221 only.greeting"])
    );
}

#[test]
fn databytes_552_nothing_queued() {
    let h = Home::new("databytes");
    h.ctl("databytes", "5\n");
    let input = format!("{MSG}123456\r\n.\r\nQUIT\r\n");
    let (code, out) = h.session(&[], input.as_bytes());
    assert_eq!(code, 0);
    assert!(out.ends_with(&lines(&[
        "354 go ahead",
        "552 sorry, that message size exceeds my databytes limit (#5.3.4)",
        "221 cmp.example",
    ])));
    // the envelope never got its terminating NUL: qmail-queue queues nothing
    for (_, env) in h.recorded() {
        assert!(!env.ends_with(b"\0\0"), "{env:?}");
    }
    // DATABYTES overrides the control
    let (_, out) = h.session(&[("DATABYTES", "100")], input.as_bytes());
    assert!(out.contains("250 ok <time> qp <pid>\r\n"), "{out}");
}

#[test]
fn bare_lf_drops_the_connection() {
    let h = Home::new("lf");
    let input = format!("{MSG}Subject: x\r\n\r\nfirst part\n.\r\nMAIL FROM:<s@x>\r\nRCPT TO:<qcmp@cmp.example>\r\nDATA\r\nsmuggled\r\n.\r\nQUIT\r\n");
    let (code, out) = h.session(&[], input.as_bytes());
    assert_eq!(code, 1);
    assert!(
        out.ends_with(&lines(&[
            "354 go ahead",
            "451 See https://cr.yp.to/docs/smtplf.html."
        ])),
        "{out}"
    );
    for (_, env) in h.recorded() {
        assert!(!env.ends_with(b"\0\0"), "{env:?}");
    }
}

#[test]
fn eof_in_data_queues_nothing() {
    let h = Home::new("eof");
    let (code, out) = h.session(&[], format!("{MSG}Subject: x\r\n").as_bytes());
    assert_eq!(code, 1);
    assert!(out.ends_with("354 go ahead\r\n"));
    for (_, env) in h.recorded() {
        assert!(env.is_empty(), "{env:?}");
    }
}

#[test]
fn qq_exit_codes() {
    let h = Home::new("qq");
    let input = format!("{MSG}x\r\n.\r\nQUIT\r\n");
    let (_, out) = h.session(&[("QQ_EXIT", "31")], input.as_bytes());
    assert!(
        out.contains("\r\n554 mail server permanently rejected message (#5.3.0)\r\n"),
        "{out}"
    );
    let (_, out) = h.session(&[("QQ_EXIT", "53")], input.as_bytes());
    assert!(
        out.contains("\r\n451 qq write error or disk full (#4.3.0)\r\n"),
        "{out}"
    );
    let (_, out) = h.session(&[("QMAILQUEUE", "/nonexistent/qq")], input.as_bytes());
    assert!(
        out.contains("\r\n354 go ahead\r\n451 unable to exec qq (#4.3.0)\r\n"),
        "{out}"
    );
}

#[test]
fn relayclient_and_badmailfrom() {
    let h = Home::new("relay");
    h.ctl("badmailfrom", "@bad.example\nwhole@evil.example\n");
    let (_, out) = h.session(
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
    let (_, out) = h.session(
        &[("RELAYCLIENT", "")],
        b"MAIL FROM:<a@b>\r\nRCPT TO:<x@remote.example>\r\nDATA\r\nx\r\n.\r\n",
    );
    assert!(out.contains("250 ok <time> qp <pid>"), "{out}");
    let env = &h.recorded()[0].1;
    assert_eq!(env, b"Fa@b\0Tx@remote.example\0\0");
}

#[test]
fn morercpthosts_cdb() {
    let h = Home::new("mrh");
    let f = std::fs::File::create(h.dir.join("control/morercpthosts.cdb")).unwrap();
    let mut cdb = qmail_core::cdb::CdbMake::new(f);
    cdb.add(b"more.example", b"").unwrap();
    cdb.add(b".deep.example", b"").unwrap();
    cdb.finish().unwrap();
    let input = b"MAIL FROM:<a@b>\r\nRCPT TO:<x@More.Example>\r\nRCPT TO:<x@a.deep.example>\r\nRCPT TO:<x@other.example>\r\n";
    let (_, out) = h.session(&[], input);
    let nogw = "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)";
    assert_eq!(
        out,
        lines(&["220 cmp.example ESMTP", "250 ok", "250 ok", "250 ok", nogw])
    );
    // without rcpthosts the cdb is not consulted and everything is accepted
    h.rm("rcpthosts");
    let (_, out) = h.session(&[], input);
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
    let h = Home::new("big");
    let mut input = format!("{MSG}Subject: big\r\n\r\nnul\0here\r\n").into_bytes();
    input.extend(std::iter::repeat(b'a').take(1 << 20));
    input.extend_from_slice(b"\r\n.\r\nQUIT\r\n");
    let (code, out) = h.session(&[("DATABYTES", "2097152")], &input);
    assert_eq!(code, 0);
    assert!(out.contains("250 ok <time> qp <pid>"), "{out}");
    let m = &h.recorded()[0].0;
    let body_at = m.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
    let body = &m[body_at..];
    assert!(body.starts_with(b"nul\0here\n"));
    assert_eq!(body.len(), 9 + (1 << 20) + 1);
}

#[test]
fn timeout_in_data_queues_nothing() {
    let h = Home::new("datatimeout");
    h.ctl("timeoutsmtpd", "1\n");
    let mut child = h
        .command(&[])
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
    let rec = h.recorded();
    assert_eq!(rec.len(), 1);
    assert!(rec[0].1.is_empty(), "no envelope: nothing queued");
}
