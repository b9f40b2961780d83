//! STARTTLS and SMTPS end to end: qmail-tlsd in front of qmail-smtpd under a real
//! tcpserver (started as root: qmail-tlsd runs qmail-smtpd as qmaild and itself as
//! qmailt), with real clients (swaks, Python's smtplib and ssl, openssl s_client) and
//! qmail-send delivering to a Maildir. Certificates are made with openssl for each test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use qmail_e2e::smtptls::{
    certificate, checkpassword_script, python, server, server_args, system, wait_messages, DOMAIN,
};
use qmail_e2e::{mailbox, wait_for};

#[test]
fn swaks_starttls_and_tls_on_connect_deliver_with_an_encrypted_received_line() {
    let (sb, _send) = system();
    let home = mailbox(&sb, "alice");
    let ca = certificate(&sb, false);
    let plain = server(&sb, "", "");
    let smtps = server(&sb, "", "-i");
    for (port, mode, subject) in [
        (plain.port, "--tls", "starttls"),
        (smtps.port, "--tlsc", "smtps"),
    ] {
        let out = Command::new("swaks")
            .args(["--server", "127.0.0.1", "--port", &port.to_string(), mode])
            .args(["--tls-verify", "--tls-ca-path"])
            .arg(&ca)
            .args(["--tls-sni", DOMAIN])
            .args(["--helo", "client.example", "--from", "bob@client.example"])
            .args(["--to", &format!("alice@{DOMAIN}")])
            .args([
                "--header",
                &format!("Subject: {subject}"),
                "--body",
                "secret",
            ])
            .output()
            .unwrap();
        let t = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{t}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if mode == "--tls" {
            assert!(
                t.contains("<-  250-STARTTLS") && t.contains("<-  220 ready for tls"),
                "{t}"
            );
        }
        // After the handshake EHLO no longer offers STARTTLS.
        assert!(t.contains("~> EHLO client.example"), "{t}");
        assert!(
            !t.contains("<~  250 STARTTLS") && !t.contains("<~  250-STARTTLS"),
            "{t}"
        );
    }
    let msgs = wait_messages(&home.join("Maildir"), 2);
    assert_eq!(msgs.len(), 2);
    for m in &msgs {
        assert!(
            m.contains(&format!("by {DOMAIN} with (TLSv1.3 TLS13_"))
                && m.contains(" encrypted) SMTP; "),
            "{m}"
        );
        assert!(m.contains("\nsecret\n"), "{m}");
    }
    // The engine logs the version and cipher of each session.
    let log = plain.daemon.log_text();
    assert!(
        log.contains("qmail-tlsd: pid ")
            && log.contains(": TLSv1.3 TLS13_")
            && log.contains(" from 127.0.0.1"),
        "{log}"
    );
}

#[test]
fn smtplib_starttls_and_smtp_ssl() {
    let (sb, _send) = system();
    let home = mailbox(&sb, "carol");
    let ca = certificate(&sb, false);
    let plain = server(&sb, "", "");
    let smtps = server(&sb, "", "-i");
    python(&format!(
        r#"
import smtplib, ssl
ctx = ssl.create_default_context(cafile="{ca}")
s = smtplib.SMTP("127.0.0.1", {p})
s.ehlo("py.example")
assert s.has_extn("starttls"), s.esmtp_features
code, text = s.starttls(context=ctx)
assert code == 220, (code, text)
s.ehlo("py.example")
assert not s.has_extn("starttls"), s.esmtp_features
assert s.sock.version() in ("TLSv1.3", "TLSv1.2"), s.sock.version()
# A second STARTTLS is refused.
assert s.docmd("STARTTLS") == (503, b"TLS already active (#5.5.1)")
assert s.sendmail("x@py.example", ["carol@{DOMAIN}"], b"Subject: one\r\n\r\nstarttls\r\n") == {{}}
s.quit()
s = smtplib.SMTP_SSL("127.0.0.1", {q}, context=ctx)
s.ehlo("py.example")
assert not s.has_extn("starttls"), s.esmtp_features
assert s.sendmail("x@py.example", ["carol@{DOMAIN}"], b"Subject: two\r\n\r\nsmtps\r\n") == {{}}
s.quit()
# TLS 1.1 and older are refused.
old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
old.check_hostname = False
old.verify_mode = ssl.CERT_NONE
old.maximum_version = ssl.TLSVersion.TLSv1_1
try:
    old.minimum_version = ssl.TLSVersion.TLSv1
    smtplib.SMTP_SSL("127.0.0.1", {q}, context=old)
    raise SystemExit("TLS 1.1 accepted")
except (ssl.SSLError, OSError, smtplib.SMTPServerDisconnected):
    pass
print("ok")
"#,
        ca = ca.display(),
        p = plain.port,
        q = smtps.port
    ));
    let msgs = wait_messages(&home.join("Maildir"), 2);
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(
        msgs.iter().all(|m| m.contains(" encrypted) SMTP; ")),
        "{msgs:?}"
    );
}

#[test]
fn openssl_s_client_starttls() {
    let (sb, _send) = system();
    let ca = certificate(&sb, false);
    let d = server(&sb, "", "");
    let mut c = Command::new("openssl")
        .args(["s_client", "-starttls", "smtp", "-connect"])
        .arg(format!("127.0.0.1:{}", d.port))
        .args(["-CAfile"])
        .arg(&ca)
        .args([
            "-verify_return_error",
            "-servername",
            DOMAIN,
            "-ign_eof",
            "-crlf",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin
        .take()
        .unwrap()
        .write_all(b"EHLO s.example\nNOOP\nQUIT\n")
        .unwrap();
    let out = c.wait_with_output().unwrap();
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(t.contains("Verify return code: 0 (ok)"), "{t}");
    assert!(
        t.contains("250-8BITMIME") && t.contains("250 SIZE") && !t.contains("STARTTLS"),
        "{t}"
    );
    assert!(
        t.contains("250 ok") && t.contains(&format!("221 {DOMAIN}")),
        "{t}"
    );
}

/// CVE-2011-0411: `STARTTLS\r\nRSET\r\n` in one packet; the RSET (sent in clear text)
/// must never be executed inside TLS. The first reply read through TLS must be the one to
/// the first command sent through TLS.
#[test]
fn starttls_command_injection_is_never_executed() {
    let (sb, _send) = system();
    certificate(&sb, false);
    let d = server(&sb, "", "");
    let out = python(&format!(
        r#"
import socket, ssl
s = socket.create_connection(("127.0.0.1", {p}), timeout=20)
f = s.makefile("rb")
assert f.readline().startswith(b"220 ")
s.sendall(b"EHLO x\r\n")
while not f.readline().startswith(b"250 "):
    pass
s.sendall(b"STARTTLS\r\nRSET\r\nMAIL FROM:<injected@evil.example>\r\n")
assert f.readline() == b"220 ready for tls\r\n"
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(s, server_hostname="{DOMAIN}")
t.sendall(b"NOOP\r\n")
g = t.makefile("rb")
first = g.readline()
t.sendall(b"RCPT TO:<x@{DOMAIN}>\r\nQUIT\r\n")
rest = [g.readline(), g.readline()]
print(first, rest)
assert first == b"250 ok\r\n", first
# No MAIL survived either: RCPT wants a MAIL first.
assert rest[0] == b"503 MAIL first (#5.5.1)\r\n", rest
"#,
        p = d.port
    ));
    assert!(out.contains("250 ok"), "{out}");
    assert!(!out.contains("flushed"), "{out}");
}

#[test]
fn only_qmailt_can_read_the_key_and_the_processes_run_as_their_users() {
    let (sb, _send) = system();
    certificate(&sb, false);
    let r = sb.sh("setpriv --reuid qmaild --regid nofiles --clear-groups cat /var/qmail/control/servercert.pem");
    assert_ne!(r.code, Some(0), "qmaild read the key");
    assert!(
        r.stderr_str().contains("Permission denied"),
        "{}",
        r.stderr_str()
    );
    let r = sb.sh("setpriv --reuid qmailt --regid nofiles --clear-groups cat /var/qmail/control/servercert.pem");
    assert_eq!(r.code, Some(0), "{}", r.stderr_str());
    assert!(r.stdout_str().contains("PRIVATE KEY"));

    let d = server(&sb, "", "");
    let mut s = TcpStream::connect(("127.0.0.1", d.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut buf = [0u8; 256];
    let n = s.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"220 "));
    let ps = Command::new("ps")
        .args(["-eo", "user:20,comm"])
        .output()
        .unwrap();
    let ps = String::from_utf8_lossy(&ps.stdout);
    let users = |prog: &str| -> Vec<String> {
        ps.lines()
            .filter(|l| l.split_whitespace().nth(1) == Some(prog))
            .map(|l| l.split_whitespace().next().unwrap().to_string())
            .collect()
    };
    assert!(users("qmail-tlsd").iter().any(|u| u == "qmailt"), "{ps}");
    assert!(!users("qmail-tlsd").iter().any(|u| u == "root"), "{ps}");
    assert!(users("qmail-smtpd").iter().any(|u| u == "qmaild"), "{ps}");
    assert!(
        !users("qmail-smtpd")
            .iter()
            .any(|u| u == "root" || u == "qmailt"),
        "{ps}"
    );
}

#[test]
fn unreadable_key_means_454_and_the_session_goes_on_in_clear_text() {
    let (sb, _send) = system();
    certificate(&sb, false);
    // A revoked key file: no longer readable by qmailt. The next connection sees it.
    let r = sb.sh("chown root /var/qmail/control/servercert.pem");
    assert_eq!(r.code, Some(0));
    let d = server(&sb, "", "");
    let mut s = TcpStream::connect(("127.0.0.1", d.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(b"EHLO x\r\nSTARTTLS\r\n").unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&got).contains("454 ") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "{}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    s.write_all(b"NOOP\r\nQUIT\r\n").unwrap();
    s.read_to_end(&mut got).unwrap();
    let t = String::from_utf8_lossy(&got);
    assert!(
        t.contains("454 TLS not available due to temporary reason (#4.3.0)\r\n250 ok\r\n221 "),
        "{t}"
    );
    assert!(
        d.daemon
            .log_text()
            .contains("TLS unavailable: unable to open control/servercert.pem"),
        "{}",
        d.daemon.log_text()
    );
}

#[test]
fn a_handshake_never_finished_times_out_and_queues_nothing() {
    let (sb, _send) = system();
    certificate(&sb, false);
    sb.control("timeoutsmtpd", &["2"]);
    let d = server(&sb, "", "");
    let mut s = TcpStream::connect(("127.0.0.1", d.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(b"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@tls.example>\r\nSTARTTLS\r\n")
        .unwrap();
    let start = std::time::Instant::now();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    let t = String::from_utf8_lossy(&got);
    assert!(t.ends_with("220 ready for tls\r\n"), "{t}");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert!(
        d.daemon
            .wait_log("timeout in TLS handshake from 127.0.0.1", 1, 10),
        "{}",
        d.daemon.log_text()
    );
    assert!(d.daemon.wait_log("end ", 1, 10), "{}", d.daemon.log_text());
    assert!(sb.mess_files().is_empty());
}

#[test]
fn swaks_auth_inside_tls_relays_and_wrong_passwords_are_refused() {
    let (sb, _send) = system();
    let home = mailbox(&sb, "dave");
    certificate(&sb, false);
    let chk = checkpassword_script(&sb);
    let d = server_args(&sb, "", "", &format!("{DOMAIN} {chk} /bin/true"));
    let port = d.port.to_string();
    let swaks = |args: &[&str]| {
        let out = Command::new("swaks")
            .args(["--server", "127.0.0.1", "--port", &port, "--tls"])
            .args(["--helo", "client.example", "--from", "dave@client.example"])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    // Relaying after AUTH PLAIN: a remote recipient is accepted.
    let (code, t) = swaks(&[
        "--auth",
        "PLAIN",
        "--auth-user",
        "alice",
        "--auth-password",
        "s3cret",
        "--to",
        "someone@elsewhere.example",
        "--quit-after",
        "RCPT",
    ]);
    assert_eq!(code, Some(0), "{t}");
    assert!(t.contains("<~  250-AUTH LOGIN PLAIN"), "{t}");
    assert!(t.contains("<~  235 ok, go ahead (#2.0.0)"), "{t}");
    assert!(
        t.contains("~> RCPT TO:<someone@elsewhere.example>\n<~  250 ok")
            || t.contains("<~  250 ok"),
        "{t}"
    );
    // AUTH LOGIN and a delivered message.
    let (code, t) = swaks(&[
        "--auth",
        "LOGIN",
        "--auth-user",
        "alice",
        "--auth-password",
        "s3cret",
        "--to",
        &format!("dave@{DOMAIN}"),
        "--body",
        "authenticated",
    ]);
    assert_eq!(code, Some(0), "{t}");
    assert!(
        t.contains("<~  334 VXNlcm5hbWU6") && t.contains("<~  235 "),
        "{t}"
    );
    let msgs = wait_messages(&home.join("Maildir"), 1);
    assert!(msgs[0].contains("\nauthenticated\n"), "{msgs:?}");
    // A wrong password: 535 after a delay, and no relaying.
    let start = std::time::Instant::now();
    let (code, t) = swaks(&[
        "--auth",
        "PLAIN",
        "--auth-user",
        "alice",
        "--auth-password",
        "wrong",
        "--to",
        "someone@elsewhere.example",
    ]);
    assert_ne!(code, Some(0), "{t}");
    assert!(t.contains("<~* 535 authorization failed (#5.7.0)"), "{t}");
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    let log = d.daemon.log_text();
    assert!(log.contains("auth ok for alice from 127.0.0.1"), "{log}");
    assert!(
        log.contains("auth failed for alice from 127.0.0.1"),
        "{log}"
    );
    // Outside TLS AUTH is neither offered nor accepted.
    let out = Command::new("swaks")
        .args([
            "--server",
            "127.0.0.1",
            "--port",
            &port,
            "--quit-after",
            "EHLO",
        ])
        .output()
        .unwrap();
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(t.contains("<-  250-STARTTLS") && !t.contains("AUTH"), "{t}");
}

#[test]
fn submission_needs_auth_before_mail_smtplib_login() {
    let (sb, _send) = system();
    let home = mailbox(&sb, "erin");
    certificate(&sb, false);
    let chk = checkpassword_script(&sb);
    let d = server_args(
        &sb,
        "SUBMISSION=1",
        "",
        &format!("{DOMAIN} {chk} /bin/true"),
    );
    python(&format!(
        r#"
import smtplib, ssl
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP("127.0.0.1", {p})
s.starttls(context=ctx)
s.ehlo("py.example")
assert s.docmd("MAIL FROM:<x@py.example>")[0] == 530
# smtplib tries PLAIN, then LOGIN: two failed attempts of the three allowed.
try:
    s.login("alice", "nope")
    raise SystemExit("wrong password accepted")
except smtplib.SMTPAuthenticationError as e:
    assert e.smtp_code == 535, e
s.login("alice", "s3cret")
assert s.sendmail("x@py.example", ["erin@{DOMAIN}", "far@elsewhere.example"],
    b"Subject: submitted\r\n\r\nvia submission\r\n") == {{}}
s.quit()
print("ok")
"#,
        p = d.port
    ));
    let msgs = wait_messages(&home.join("Maildir"), 1);
    assert!(msgs[0].contains("via submission"), "{msgs:?}");
    // The third failure ends the connection.
    python(&format!(
        r#"
import smtplib, ssl
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP("127.0.0.1", {p})
s.starttls(context=ctx)
s.ehlo("py.example")
for i in range(2):
    assert s.docmd("AUTH PLAIN AGFsaWNlAG5vcGU=")[0] == 535
assert s.docmd("AUTH PLAIN AGFsaWNlAG5vcGU=") == (421, b"too many authentication failures (#4.7.0)")
"#,
        p = d.port
    ));
}

/// qmail-checkpw against a real system account (yescrypt in /etc/shadow), installed
/// setgid shadow as its man page says, behind qmail-smtpd running as qmaild.
#[test]
fn qmail_checkpw_checks_system_accounts_for_smtp_auth() {
    const USER: &str = "qmailauthtest";
    const PASS: &str = "Corr3ct-h0rse";
    if nix::unistd::User::from_name(USER).ok().flatten().is_none() {
        let st = Command::new("useradd")
            .args(["-M", "-s", "/usr/sbin/nologin", USER])
            .status()
            .unwrap();
        assert!(st.success());
    }
    let mut c = Command::new("chpasswd")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin
        .take()
        .unwrap()
        .write_all(format!("{USER}:{PASS}\n").as_bytes())
        .unwrap();
    assert!(c.wait().unwrap().success());
    let shadow = std::fs::read_to_string("/etc/shadow").unwrap();
    let line = shadow
        .lines()
        .find(|l| l.starts_with(&format!("{USER}:")))
        .unwrap();
    assert!(line.contains(":$y$"), "not yescrypt: {}", &line[..20]);

    let (sb, _send) = system();
    certificate(&sb, false);
    let r = sb
        .sh("chgrp shadow /var/qmail/bin/qmail-checkpw && chmod 2711 /var/qmail/bin/qmail-checkpw");
    assert_eq!(r.code, Some(0), "{}", r.stderr_str());
    // qmaild itself cannot read the hashes.
    let r = sb.sh("setpriv --reuid qmaild --regid nofiles --clear-groups cat /etc/shadow");
    assert_ne!(r.code, Some(0));
    let d = server_args(
        &sb,
        "",
        "",
        &format!("{DOMAIN} /var/qmail/bin/qmail-checkpw /bin/true"),
    );
    let port = d.port.to_string();
    let swaks = |pass: &str| {
        let out = Command::new("swaks")
            .args(["--server", "127.0.0.1", "--port", &port, "--tls"])
            .args([
                "--auth",
                "PLAIN",
                "--auth-user",
                USER,
                "--auth-password",
                pass,
            ])
            .args([
                "--from",
                "x@client.example",
                "--to",
                "far@elsewhere.example",
            ])
            .args(["--quit-after", "RCPT"])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, t) = swaks(PASS);
    assert_eq!(code, Some(0), "{t}");
    assert!(t.contains("<~  235 ok, go ahead (#2.0.0)"), "{t}");
    let (code, t) = swaks("wrong");
    assert_ne!(code, Some(0), "{t}");
    assert!(t.contains("<~* 535 authorization failed (#5.7.0)"), "{t}");
    let log = d.daemon.log_text();
    assert!(
        log.contains(&format!("auth ok for {USER} from 127.0.0.1")),
        "{log}"
    );
    assert!(
        log.contains(&format!("auth failed for {USER} from 127.0.0.1")),
        "{log}"
    );
}

/// Peak resident memory (VmHWM, KiB) of each running process named `name` whose parent
/// is the tcpserver listening on `port` (other tests run engines of their own meanwhile).
fn peaks(name: &str, port: u16) -> Vec<u64> {
    let port = format!("\0{port}\0");
    let mut v = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let dir = e.path();
        let Ok(comm) = std::fs::read_to_string(dir.join("comm")) else {
            continue;
        };
        if comm.trim() != name {
            continue;
        }
        let Ok(status) = std::fs::read_to_string(dir.join("status")) else {
            continue;
        };
        let ppid = status
            .lines()
            .find_map(|l| l.strip_prefix("PPid:"))
            .map(|p| p.trim().to_string())
            .unwrap_or_default();
        let parent = std::fs::read(format!("/proc/{ppid}/cmdline")).unwrap_or_default();
        if !String::from_utf8_lossy(&parent).contains(&port) {
            continue;
        }
        {
            if let Some(l) = status.lines().find(|l| l.starts_with("VmHWM:")) {
                let kb: u64 = l.split_whitespace().nth(1).unwrap().parse().unwrap();
                v.push(kb);
            }
        }
    }
    v
}

/// A flood of clients that start TLS and never finish, or send garbage: tcpserver's -c
/// bounds the engines, each stays small (about 4 MiB peak here), and all are gone once
/// the clients leave.
#[test]
fn a_handshake_flood_is_bounded() {
    let (sb, _send) = system();
    certificate(&sb, false);
    sb.control("timeoutsmtpd", &["5"]);
    let d = server(&sb, "", "");
    let mut conns = Vec::new();
    for i in 0..40 {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", d.port)) else {
            continue;
        };
        if i % 2 == 0 {
            let _ = s.write_all(b"EHLO x\r\nSTARTTLS\r\n");
        } else {
            // A ClientHello-looking record header, then junk.
            let _ = s.write_all(&[0x16, 0x03, 0x01, 0x40, 0x00]);
            let _ = s.write_all(&[0x41; 4096]);
        }
        conns.push(s);
    }
    std::thread::sleep(Duration::from_secs(2));
    let now = peaks("qmail-tlsd", d.port);
    assert!(
        !now.is_empty() && now.len() <= 5,
        "{} engines for -c 5",
        now.len()
    );
    for kb in &now {
        assert!(*kb < 16 * 1024, "an engine peaked at {kb} KiB");
    }
    assert!(
        d.daemon.log_text().contains("status: 5/5"),
        "{}",
        d.daemon.log_text()
    );
    // The clients give up; the engines still waiting (and those tcpserver accepts from
    // its backlog afterwards) end by themselves. Nothing was queued.
    drop(conns);
    assert!(
        wait_for(40, || peaks("qmail-tlsd", d.port).is_empty()),
        "engines left: {:?}",
        peaks("qmail-tlsd", d.port)
    );
    assert!(sb.mess_files().is_empty());
}
