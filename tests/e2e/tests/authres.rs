//! qmail-authres end to end: a real tcpserver runs qmail-smtpd as qmaild with
//! QMAILQUEUE=qmail-authres; mail signed by dkimpy (Debian python3-dkim) for rsa-sha256
//! and ed25519-sha256 arrives over SMTP from 127.0.0.1 and is delivered to a Maildir with
//! one Authentication-Results field; SPF and the DKIM keys come from a DNS server on a
//! loopback address of its own (crates/qmail-spf/tests/dns_server.py), named by a
//! resolv.conf bind-mounted over /etc/resolv.conf inside the sandbox's namespace. The
//! control files spfreject and dkimreject make qmail-smtpd refuse at the final dot.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use qmail_e2e::{mailbox, maildir_messages, src_dir, wait_for, Daemon, Sandbox};

const DOMAIN: &str = "e2e.example";

struct Dns(Child);

impl Drop for Dns {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback address no other test uses, for a DNS server on port 53.
fn dns_addr(n: u32) -> String {
    format!("127.53.{}.{}", std::process::id() % 250 + 1, n)
}

/// The zone (a JSON document, which the server's YAML reader takes): SPF for the two
/// sender domains and the keys dkimpy made.
fn start_dns(dir: &Path, addr: &str, keys: &[(String, String)]) -> Dns {
    let mut zone = vec![
        (
            "example.com".to_string(),
            "v=spf1 ip4:127.0.0.1 -all".to_string(),
        ),
        ("spf-fail.test".to_string(), "v=spf1 -all".to_string()),
    ];
    zone.extend_from_slice(keys);
    let entries: Vec<String> = zone
        .iter()
        .map(|(n, t)| format!("{n:?}: [{{\"TXT\": {t:?}}}]"))
        .collect();
    let file = dir.join("zone.json");
    std::fs::write(
        &file,
        format!(
            "{{\"tests\": {{}}, \"zonedata\": {{{}}}}}",
            entries.join(", ")
        ),
    )
    .unwrap();
    let mut child = Command::new("/usr/bin/python3")
        .arg(src_dir().join("crates/qmail-spf/tests/dns_server.py"))
        .arg(&file)
        .args([addr, "53"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut ready = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    while out.read_line(&mut ready).unwrap() > 0 && !ready.contains("READY") {}
    assert!(ready.contains("READY"), "DNS server: {ready}");
    Dns(child)
}

/// dkimpy signs the test messages (crates/qmail-dkim-core/tests/dkimpy_sign.py); the
/// key records it prints, as (name, TXT).
fn dkimpy(dir: &Path) -> Vec<(String, String)> {
    let st = Command::new("/usr/bin/python3")
        .arg(src_dir().join("crates/qmail-dkim-core/tests/dkimpy_sign.py"))
        .arg(dir)
        .status()
        .expect("python3");
    assert!(st.success());
    std::fs::read_to_string(dir.join("keys"))
        .unwrap()
        .lines()
        .map(|l| {
            let (n, t) = l.split_once('\t').unwrap();
            (n.to_string(), t.to_string())
        })
        .collect()
}

fn group_id(name: &str) -> String {
    let out = Command::new("getent")
        .args(["group", name])
        .output()
        .unwrap();
    let line = String::from_utf8(out.stdout).unwrap();
    line.split(':').nth(2).expect("group").to_string()
}

/// tcpserver with qmail-smtpd as qmaild, QMAILQUEUE=qmail-authres, the test resolv.conf.
fn smtpd(sb: &Sandbox, resolv: &Path, env: &str) -> (u16, Daemon) {
    let uid = qmail_e2e::uid_of("qmaild");
    let gid = group_id("nofiles");
    sb.start_tcpserver(|port| {
        format!(
            "mount --bind {} /etc/resolv.conf || exit 97; \
             exec env - PATH=/var/qmail/bin:/usr/bin:/bin QMAILQUEUE=/var/qmail/bin/qmail-authres {env} \
             tcpserver -v -R -H -l {DOMAIN} -u {uid} -g {gid} 127.0.0.1 {port} /var/qmail/bin/qmail-smtpd",
            resolv.display()
        )
    })
}

/// One SMTP transaction; the reply to the final dot.
fn send(port: u16, from: &str, msg: &[u8]) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    let mut reply = |r: &mut BufReader<TcpStream>| {
        line.clear();
        r.read_line(&mut line).unwrap();
        line.clone()
    };
    assert!(reply(&mut r).starts_with("220"));
    for cmd in [
        "HELO client.test".to_string(),
        format!("MAIL FROM:<{from}>"),
        format!("RCPT TO:<alice@{DOMAIN}>"),
        "DATA".to_string(),
    ] {
        s.write_all(format!("{cmd}\r\n").as_bytes()).unwrap();
        let got = reply(&mut r);
        assert!(got.starts_with('2') || got.starts_with('3'), "{cmd}: {got}");
    }
    let mut data = Vec::new();
    for l in msg.split(|&b| b == b'\n') {
        if l.first() == Some(&b'.') {
            data.push(b'.');
        }
        data.extend_from_slice(l);
        data.extend_from_slice(b"\r\n");
    }
    if msg.ends_with(b"\n") {
        data.truncate(data.len() - 2);
    }
    data.extend_from_slice(b".\r\n");
    s.write_all(&data).unwrap();
    let end = reply(&mut r);
    s.write_all(b"QUIT\r\n").unwrap();
    let mut rest = Vec::new();
    let _ = r.read_to_end(&mut rest);
    end.trim_end().to_string()
}

fn maildir(home: &Path) -> PathBuf {
    home.join("Maildir")
}

/// The Authentication-Results field (unfolded) of a delivered message: right above
/// qmail-smtpd's Received line (qmail-queue's own line and the delivery's Return-Path
/// and Delivered-To come above it).
fn authres(m: &[u8]) -> String {
    let text = String::from_utf8_lossy(m);
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("Authentication-Results:"))
        .unwrap_or_else(|| panic!("no Authentication-Results: {text}"));
    assert!(
        lines[start].starts_with("Authentication-Results: e2e.example;"),
        "{text}"
    );
    let mut field = String::new();
    let mut i = start;
    loop {
        field.push_str(lines[i].trim_start());
        field.push(' ');
        i += 1;
        if !lines[i].starts_with([' ', '\t']) {
            break;
        }
    }
    assert!(lines[i].starts_with("Received: from "), "{text}");
    assert!(lines[start - 1].starts_with("Received: (qmail "), "{text}");
    field
}

#[test]
fn dkimpy_mail_over_smtp_gets_authentication_results() {
    let sb = Sandbox::new();
    sb.control("me", &[DOMAIN]);
    sb.control("locals", &[DOMAIN]);
    sb.control("rcpthosts", &[DOMAIN]);
    let home = mailbox(&sb, "alice");
    let _send = sb.start_send("./Maildir/");
    let dir = sb.scratch().join("dkimpy");
    std::fs::create_dir_all(&dir).unwrap();
    let keys = dkimpy(&dir);
    let addr = dns_addr(1);
    let _dns = start_dns(&dir, &addr, &keys);
    let resolv = dir.join("resolv.conf");
    std::fs::write(
        &resolv,
        format!("nameserver {addr}\noptions timeout:2 attempts:1\n"),
    )
    .unwrap();
    let (port, _smtpd) = smtpd(&sb, &resolv, "");

    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    // Both key types, several canonicalisations: pass, and SPF pass for example.com.
    let good = [
        "rsa2048-folded-relaxed-relaxed.eml",
        "rsa1024-8bit-simple-simple.eml",
        "ed-plain-relaxed-simple.eml",
    ];
    for (i, name) in good.iter().enumerate() {
        let reply = send(port, "joe@example.com", &read(name));
        assert!(reply.starts_with("250 ok"), "{name}: {reply}");
        let msgs = wait_for_messages(&home, i + 1);
        let m = msgs
            .iter()
            .find(|m| {
                String::from_utf8_lossy(m)
                    .contains(&format!("s={}", &name[..name.find('-').unwrap()]))
            })
            .unwrap();
        let ar = authres(m);
        assert!(ar.contains("spf=pass"), "{ar}");
        assert!(ar.contains("smtp.mailfrom=joe@example.com"), "{ar}");
        assert!(ar.contains("dkim=pass"), "{ar}");
        assert!(ar.contains("header.d=example.com"), "{ar}");
        // exactly one field
        let text = String::from_utf8_lossy(m);
        assert_eq!(text.matches("Authentication-Results:").count(), 1, "{text}");
    }
    // A tampered body and a tampered header fail; a forged field claiming our name is
    // removed; SPF fail is only written down.
    let ed = read("ed-plain-relaxed-relaxed.eml");
    let body = String::from_utf8_lossy(&ed).replacen("hello", "hellO", 1);
    let reply = send(port, "joe@example.com", body.as_bytes());
    assert!(reply.starts_with("250 ok"), "{reply}");
    let rsa = read("rsa2048-plain-simple-simple.eml");
    let subj = String::from_utf8_lossy(&rsa).replacen("Subject: plain", "Subject: changed", 1);
    let forged =
        format!("Authentication-Results: {DOMAIN}; dkim=pass header.d=example.com\n{subj}");
    let reply = send(port, "x@spf-fail.test", forged.as_bytes());
    assert!(reply.starts_with("250 ok"), "{reply}");
    let msgs = wait_for_messages(&home, 5);
    let tampered: Vec<String> = msgs
        .iter()
        .map(|m| String::from_utf8_lossy(m).into_owned())
        .filter(|t| t.contains("hellO") || t.contains("Subject: changed"))
        .collect();
    assert_eq!(tampered.len(), 2);
    for t in &tampered {
        let ar = authres(t.as_bytes());
        assert!(ar.contains("dkim=fail"), "{ar}");
        assert_eq!(t.matches("Authentication-Results:").count(), 1, "{t}");
        if t.contains("Subject: changed") {
            assert!(ar.contains("spf=fail"), "{ar}");
            assert!(ar.contains("smtp.mailfrom=x@spf-fail.test"), "{ar}");
        }
    }

    // The site refuses SPF fail and DKIM fail: 554 at the dot, nothing delivered.
    sb.control("spfreject", &["fail"]);
    sb.control("dkimreject", &["fail"]);
    let reply = send(
        port,
        "x@spf-fail.test",
        &read("ed-plain-relaxed-relaxed.eml"),
    );
    assert_eq!(
        reply,
        "554 SPF fail for spf-fail.test: 127.0.0.1 is not allowed to send mail for spf-fail.test (#5.7.23)"
    );
    let reply = send(port, "joe@example.com", body.as_bytes());
    assert_eq!(
        reply,
        "554 DKIM fail for example.com: no valid DKIM signature (#5.7.20)"
    );
    let reply = send(
        port,
        "joe@example.com",
        &read("ed-8bit-relaxed-relaxed.eml"),
    );
    assert!(reply.starts_with("250 ok"), "{reply}");
    let msgs = wait_for_messages(&home, 6);
    assert_eq!(msgs.len(), 6);
    // A typo in a control file is a temporary failure, never a silent accept.
    sb.control("dkimreject", &["fial"]);
    let reply = send(port, "joe@example.com", body.as_bytes());
    assert!(reply.starts_with("451 "), "{reply}");
}

#[test]
fn relay_clients_pass_untouched() {
    let sb = Sandbox::new();
    sb.control("me", &[DOMAIN]);
    sb.control("locals", &[DOMAIN]);
    sb.control("rcpthosts", &[DOMAIN]);
    sb.control("spfreject", &["fail", "none"]);
    let home = mailbox(&sb, "alice");
    let _send = sb.start_send("./Maildir/");
    let dir = sb.scratch().join("relay");
    std::fs::create_dir_all(&dir).unwrap();
    // No DNS server at all: with RELAYCLIENT set nothing is looked up.
    let resolv = dir.join("resolv.conf");
    std::fs::write(&resolv, format!("nameserver {}\n", dns_addr(2))).unwrap();
    let (port, _smtpd) = smtpd(&sb, &resolv, "RELAYCLIENT=");
    let reply = send(
        port,
        "x@spf-fail.test",
        b"From: x@spf-fail.test\nSubject: relayed\n\nhi\n",
    );
    assert!(reply.starts_with("250 ok"), "{reply}");
    let msgs = wait_for_messages(&home, 1);
    let text = String::from_utf8_lossy(&msgs[0]);
    assert!(text.contains("\nReceived: from "), "{text}");
    assert!(!text.contains("Authentication-Results"), "{text}");
}

fn wait_for_messages(home: &Path, n: usize) -> Vec<Vec<u8>> {
    wait_for(60, || maildir_messages(&maildir(home)).len() >= n);
    let m = maildir_messages(&maildir(home));
    assert!(m.len() >= n, "{} of {n} messages delivered", m.len());
    m
}
