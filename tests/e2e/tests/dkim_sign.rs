//! DKIM signing end to end, the way a site runs it: keys made by qmail-dkimkey (owned by
//! qmailk, mode 0400), qmail-dkimsign started as root (it becomes qmailk), qmail-dkim
//! named in control/qmailqueue, mail submitted through sendmail as an ordinary user and
//! through qmail-smtpd as qmaild; the queued messages are checked by an independent
//! verifier, Python's dkimpy (Debian python3-dkim), with the TXT records qmail-dkimkey
//! printed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::{Command, Stdio};

use qmail_e2e::{test_user, wait_for, Daemon, Run, Sandbox};

const DOMAIN: &str = "sign.example";

/// A sandbox where qmail-dkim is every submitter's queueing program.
fn site() -> Sandbox {
    let sb = Sandbox::new();
    sb.control("me", &["mx.sign.example"]);
    sb.control("rcpthosts", &["mx.sign.example"]);
    sb.control("qmailqueue", &["/var/qmail/bin/qmail-dkim"]);
    sb
}

/// qmail-dkimkey as root; the TXT record it printed (the quoted strings joined).
fn dkimkey(sb: &Sandbox, domain: &str, selector: &str, kind: &str) -> String {
    let r = sb.sh(&format!(
        "/var/qmail/bin/qmail-dkimkey {domain} {selector} {kind}"
    ));
    assert_eq!(r.code, Some(0), "qmail-dkimkey: {}", r.stderr_str());
    let out = r.stdout_str();
    assert!(
        out.starts_with(&format!(
            "{selector}._domainkey.{domain}. IN TXT \"v=DKIM1; k="
        )),
        "{out}"
    );
    assert!(r.stderr_str().contains(&format!("{domain}:{selector}")));
    out.split('"')
        .skip(1)
        .step_by(2)
        .collect::<Vec<_>>()
        .concat()
}

/// qmail-dkimsign started as root, as the boot scripts start it.
fn signer(sb: &Sandbox) -> Daemon {
    let d = sb.start("exec env - PATH=/var/qmail/bin:/usr/bin:/bin qmail-dkimsign");
    assert!(
        d.wait_log("qmail-dkimsign: ready", 1, 20),
        "qmail-dkimsign did not start: {}",
        d.log_text()
    );
    d
}

/// sendmail -t as the ordinary test user: its exit code and stderr.
fn sendmail(sb: &Sandbox, msg: &[u8]) -> (i32, String) {
    let mut c = sb.command(Some(test_user()), &["/var/qmail/bin/sendmail", "-t"]);
    c.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    child.stdin.take().unwrap().write_all(msg).unwrap();
    let out = child.wait_with_output().unwrap();
    let r: Run = out.into();
    (r.code.unwrap_or(-1), r.stderr_str())
}

/// The queued messages (qmail-send is not running, so they stay in queue/mess).
fn queued(sb: &Sandbox) -> Vec<Vec<u8>> {
    sb.mess_files()
        .iter()
        .map(|f| std::fs::read(sb.path("queue/mess").join(f)).unwrap())
        .collect()
}

fn clear_queue(sb: &Sandbox) {
    // intd/ too: qmail-send, which would remove it, is not running, and a new message
    // may get the same inode number.
    let r = sb.sh("rm -f /var/qmail/queue/mess/*/* /var/qmail/queue/info/*/* /var/qmail/queue/todo/* /var/qmail/queue/intd/* /var/qmail/queue/local/*/* /var/qmail/queue/remote/*/*");
    assert_eq!(r.code, Some(0));
}

const VERIFY: &str = r#"
import sys, dkim, json
msg = open(sys.argv[1], 'rb').read().replace(b'\n', b'\r\n')
records = json.load(open(sys.argv[2]))
def dns(name, timeout=5):
    r = records.get(name.decode().rstrip('.'))
    return r.encode() if r else None
d = dkim.DKIM(msg)
n = sum(1 for line in msg.split(b'\r\n') if line.lower().startswith(b'dkim-signature:'))
def one(i):
    try:
        return 'PASS' if d.verify(idx=i, dnsfunc=dns) else 'FAIL'
    except dkim.DKIMException:
        return 'FAIL'
print(' '.join(one(i) for i in range(n)))
"#;

/// dkimpy's verdict on each DKIM-Signature of `msg`, in order ("" when none).
fn dkimpy(sb: &Sandbox, msg: &[u8], records: &BTreeMap<String, String>) -> String {
    let dir = sb.scratch();
    let (m, r) = (dir.join("msg"), dir.join("records.json"));
    std::fs::write(&m, msg).unwrap();
    let json: Vec<String> = records
        .iter()
        .map(|(k, v)| format!("\"{k}\": \"{v}\""))
        .collect();
    std::fs::write(&r, format!("{{{}}}", json.join(", "))).unwrap();
    let out = Command::new("/usr/bin/python3")
        .args(["-c", VERIFY])
        .arg(&m)
        .arg(&r)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "dkimpy: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn sig_count(msg: &[u8]) -> usize {
    String::from_utf8_lossy(msg)
        .lines()
        .filter(|l| l.starts_with("DKIM-Signature:"))
        .count()
}

/// A message with folded and repeated fields and 8-bit text in the header and body.
fn message(from: &str) -> Vec<u8> {
    format!(
        "From: Jos\u{e9} M\u{fc}ller <{from}>\nTo: a@far.example,\n  b@far.example\nCc: c@far.example\n\
         Subject: gr\u{fc}\u{df}e,\n\t folded   subject\nMessage-ID: <x.{}@sign.example>\n\n\
         k\u{e4}se  und  brot \t\n\nlast line\n\n\n",
        std::process::id()
    )
    .into_bytes()
}

#[test]
fn local_mail_is_signed_with_both_key_types_and_dkimpy_verifies_it() {
    let sb = site();
    let mut records = BTreeMap::new();
    records.insert(
        format!("ed._domainkey.{DOMAIN}"),
        dkimkey(&sb, DOMAIN, "ed", "ed25519"),
    );
    records.insert(
        format!("rsa._domainkey.{DOMAIN}"),
        dkimkey(&sb, DOMAIN, "rsa", "rsa"),
    );
    // The keys: qmailk's, mode 0400, in a directory only qmailk may enter; qmaild and
    // the users who send mail cannot read them.
    let qmailk = qmail_e2e::uid_of("qmailk");
    let keys = sb.path("dkim/keys");
    let dm = std::fs::metadata(&keys).unwrap();
    assert_eq!((dm.uid(), dm.mode() & 0o7777), (qmailk, 0o700));
    for sel in ["ed", "rsa"] {
        let f = keys.join(format!("{sel}._domainkey.{DOMAIN}"));
        let m = std::fs::metadata(&f).unwrap();
        assert_eq!((m.uid(), m.mode() & 0o7777), (qmailk, 0o400), "{sel}");
        for user in ["qmaild", test_user()] {
            let r: Run = sb
                .command(
                    Some(user),
                    &[
                        "cat",
                        &format!("/var/qmail/dkim/keys/{sel}._domainkey.{DOMAIN}"),
                    ],
                )
                .output()
                .unwrap()
                .into();
            assert_ne!(r.code, Some(0), "{user} read the key");
            assert!(
                r.stderr_str().contains("Permission denied"),
                "{}",
                r.stderr_str()
            );
        }
    }
    // A key made twice under one selector is refused: the old one stays.
    let r = sb.sh(&format!("/var/qmail/bin/qmail-dkimkey {DOMAIN} ed ed25519"));
    assert_eq!(r.code, Some(111), "{}", r.stderr_str());
    assert!(r.stderr_str().contains("a new key takes a new selector"));

    sb.control(
        "dkimdomains",
        &[&format!("{DOMAIN}:ed"), &format!("{DOMAIN}:rsa")],
    );
    let d = signer(&sb);
    let sock = std::fs::metadata(sb.path("dkim/socket")).unwrap();
    assert_eq!(sock.mode() & 0o777, 0o666);
    // The signer runs as qmailk.
    let status = std::fs::read_to_string(format!("/proc/{}/status", d.pid())).unwrap();
    let uid_line = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .unwrap()
        .to_string();
    assert!(
        uid_line
            .split_whitespace()
            .skip(1)
            .all(|u| u == qmailk.to_string()),
        "{uid_line}"
    );

    let (code, err) = sendmail(&sb, &message(&format!("jose@{DOMAIN}")));
    assert_eq!(code, 0, "{err}");
    let msgs = queued(&sb);
    assert_eq!(msgs.len(), 1);
    let m = &msgs[0];
    assert_eq!(sig_count(m), 2, "{}", String::from_utf8_lossy(m));
    let text = String::from_utf8_lossy(m);
    assert!(
        text.contains("a=ed25519-sha256; c=relaxed/relaxed; d=sign.example; s=ed;"),
        "{text}"
    );
    assert!(
        text.contains("a=rsa-sha256; c=relaxed/relaxed; d=sign.example; s=rsa;"),
        "{text}"
    );
    // qmail-queue's Received line comes first, then the signatures, then the message.
    assert!(text.starts_with("Received: (qmail "), "{text}");
    assert_eq!(dkimpy(&sb, m, &records), "PASS PASS", "{text}");
    // A changed body or a changed subject fails both.
    let tampered = text.replacen("last line", "last lime", 1);
    assert_eq!(dkimpy(&sb, tampered.as_bytes(), &records), "FAIL FAIL");
    let tampered = text.replacen("folded   subject", "folded subject!", 1);
    assert_eq!(dkimpy(&sb, tampered.as_bytes(), &records), "FAIL FAIL");
    assert!(
        d.wait_log("signed d=sign.example s=ed a=ed25519-sha256", 1, 5),
        "{}",
        d.log_text()
    );
    assert!(
        d.wait_log("signed d=sign.example s=rsa a=rsa-sha256", 1, 5),
        "{}",
        d.log_text()
    );

    // The envelope sender's domain signs when the From domain has no key.
    clear_queue(&sb);
    let mut c = sb.command(
        Some(test_user()),
        &[
            "/var/qmail/bin/sendmail",
            "-f",
            &format!("list@{DOMAIN}"),
            "x@far.example",
        ],
    );
    c.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"From: someone@elsewhere.example\nSubject: list mail\n\nhello\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
    let msgs = queued(&sb);
    assert_eq!(sig_count(&msgs[0]), 2);
    assert_eq!(dkimpy(&sb, &msgs[0], &records), "PASS PASS");

    // Mail for a domain without a key, and forwarded mail, pass through unchanged.
    clear_queue(&sb);
    let plain = b"From: joe@elsewhere.example\nTo: x@far.example\nSubject: s\n\nbody\n";
    assert_eq!(sendmail(&sb, plain).0, 0);
    let fwd = format!(
        "Delivered-To: jose@{DOMAIN}\nFrom: jose@{DOMAIN}\nTo: x@far.example\n\nforwarded\n"
    );
    assert_eq!(sendmail(&sb, fwd.as_bytes()).0, 0);
    for m in queued(&sb) {
        assert_eq!(sig_count(&m), 0, "{}", String::from_utf8_lossy(&m));
    }
}

/// One SMTP session with qmail-smtpd as qmaild (TCPREMOTEIP set, as tcpserver sets it),
/// `env` added; the text of its replies.
fn smtp(sb: &Sandbox, env: &[(&str, &str)], from: &str) -> String {
    smtp_auth(sb, env, &[], "", from)
}

/// The same with arguments for qmail-smtpd (host name, checkpassword…) and a command
/// line before MAIL (AUTH).
fn smtp_auth(sb: &Sandbox, env: &[(&str, &str)], args: &[&str], auth: &str, from: &str) -> String {
    let mut argv = vec!["/var/qmail/bin/qmail-smtpd"];
    argv.extend_from_slice(args);
    let mut c = sb.command(Some("qmaild"), &argv);
    c.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("TCPREMOTEIP", "192.0.2.7")
        .env("TCPLOCALIP", "127.0.0.1")
        .env("TCPLOCALHOST", "mx.sign.example")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    let session = format!(
        "EHLO client.example\r\n{auth}MAIL FROM:<{from}>\r\nRCPT TO:<x@mx.sign.example>\r\nDATA\r\n\
         From: {from}\r\nTo: x@mx.sign.example\r\nSubject: smtp \u{e9}t\u{e9}\r\n\r\nbody\r\n.\r\nQUIT\r\n"
    );
    child
        .stdin
        .take()
        .unwrap()
        .write_all(session.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn smtp_relay_and_auth_clients_are_signed_and_other_clients_are_not() {
    let sb = site();
    let mut records = BTreeMap::new();
    records.insert(
        format!("ed._domainkey.{DOMAIN}"),
        dkimkey(&sb, DOMAIN, "ed", "ed25519"),
    );
    sb.control("dkimdomains", &[&format!("{DOMAIN}:ed")]);
    let _d = signer(&sb);
    // A client allowed to relay (RELAYCLIENT from tcp.smtp): signed.
    let t = smtp(&sb, &[("RELAYCLIENT", "")], &format!("joe@{DOMAIN}"));
    assert!(t.contains("\r\n250 ok "), "{t}");
    let msgs = queued(&sb);
    assert_eq!(msgs.len(), 1);
    assert_eq!(sig_count(&msgs[0]), 1);
    assert_eq!(dkimpy(&sb, &msgs[0], &records), "PASS");
    // A client that logged in with AUTH (qmail-smtpd sets RELAYCLIENT and TCPREMOTEINFO
    // for the queueing program): signed.
    clear_queue(&sb);
    let chk = sb.scratch().join("checkpw");
    std::fs::write(
        &chk,
        "#!/bin/bash\n{ IFS= read -r -d '' u; IFS= read -r -d '' p; } <&3\n\
         [ \"$u\" = alice ] && [ \"$p\" = s3cret ] && exec \"$@\"\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&chk, std::fs::Permissions::from_mode(0o755)).unwrap();
    let chk = chk.display().to_string();
    let t = smtp_auth(
        &sb,
        &[("SMTPAUTHCLEAR", "1")],
        &["mx.sign.example", &chk, "/bin/true"],
        "AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n",
        &format!("alice@{DOMAIN}"),
    );
    assert!(t.contains("\r\n235 "), "{t}");
    assert!(t.contains("\r\n250 ok "), "{t}");
    let msgs = queued(&sb);
    assert_eq!(msgs.len(), 1);
    assert_eq!(
        sig_count(&msgs[0]),
        1,
        "{}",
        String::from_utf8_lossy(&msgs[0])
    );
    assert_eq!(dkimpy(&sb, &msgs[0], &records), "PASS");
    // Any other client: passed through unread, unsigned.
    clear_queue(&sb);
    let t = smtp(&sb, &[], &format!("joe@{DOMAIN}"));
    assert!(t.contains("\r\n250 ok "), "{t}");
    let msgs = queued(&sb);
    assert_eq!(msgs.len(), 1);
    assert_eq!(sig_count(&msgs[0]), 0);
}

#[test]
fn a_missing_key_or_signer_is_a_temporary_failure_unless_the_site_sends_unsigned() {
    let sb = site();
    dkimkey(&sb, DOMAIN, "ed", "ed25519");
    sb.control(
        "dkimdomains",
        &[&format!("{DOMAIN}:ed"), "nokey.example:sel"],
    );
    // The signer is not running: sendmail fails, temporarily, and says why.
    let (code, err) = sendmail(&sb, &message(&format!("jose@{DOMAIN}")));
    assert_eq!(code, 111, "{err}");
    assert!(err.contains("unable to reach qmail-dkimsign"), "{err}");
    assert!(queued(&sb).is_empty());
    // Through qmail-smtpd the client gets a 451 with the reason.
    let t = smtp(&sb, &[("RELAYCLIENT", "")], &format!("joe@{DOMAIN}"));
    assert!(
        t.contains("\r\n451 unable to sign for sign.example: unable to reach qmail-dkimsign"),
        "{t}"
    );
    assert!(queued(&sb).is_empty());

    let d = signer(&sb);
    // No key for the domain: a temporary failure naming the key file.
    let (code, err) = sendmail(&sb, &message("ann@nokey.example"));
    assert_eq!(code, 111, "{err}");
    assert!(
        err.contains(
            "unable to open key file dkim/keys/sel._domainkey.nokey.example: file does not exist"
        ),
        "{err}"
    );
    // A key others may read is refused.
    let key = sb.path(format!("dkim/keys/ed._domainkey.{DOMAIN}"));
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o444)).unwrap();
    let (code, err) = sendmail(&sb, &message(&format!("jose@{DOMAIN}")));
    assert_eq!(code, 111, "{err}");
    assert!(
        err.contains("may be read by others than its owner (mode 444)"),
        "{err}"
    );
    // A file that is no key.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(&key, "not a key\n").unwrap();
    let (code, err) = sendmail(&sb, &message(&format!("jose@{DOMAIN}")));
    assert_eq!(code, 111, "{err}");
    assert!(err.contains("not a PEM private key"), "{err}");
    assert!(queued(&sb).is_empty());
    assert!(
        d.log_text().contains("not a PEM private key"),
        "{}",
        d.log_text()
    );

    // control/dkimunsigned: the same message goes out unsigned, with a warning.
    sb.control("dkimunsigned", &["1"]);
    let (code, err) = sendmail(&sb, &message(&format!("jose@{DOMAIN}")));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("qmail-dkim: warning: qmail-dkimsign: dkim/keys/ed._domainkey.sign.example: not a PEM private key: sending unsigned for sign.example (control/dkimunsigned)"), "{err}");
    drop(d);
    assert!(wait_for(10, || !sb.path("dkim/socket").exists()
        || std::os::unix::net::UnixStream::connect(
            sb.path("dkim/socket")
        )
        .is_err()));
    let (code, err) = sendmail(&sb, &message("ann@nokey.example"));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("unable to reach qmail-dkimsign"), "{err}");
    let msgs = queued(&sb);
    assert_eq!(msgs.len(), 2);
    for m in msgs {
        assert_eq!(sig_count(&m), 0);
        assert!(String::from_utf8_lossy(&m).contains("\nlast line\n"));
    }
}

/// A message far bigger than any buffer passes with its body intact and signed, in
/// bounded memory.
#[test]
fn a_large_message_streams_through() {
    let sb = site();
    let mut records = BTreeMap::new();
    records.insert(
        format!("ed._domainkey.{DOMAIN}"),
        dkimkey(&sb, DOMAIN, "ed", "ed25519"),
    );
    sb.control("dkimdomains", &[&format!("{DOMAIN}:ed")]);
    let _d = signer(&sb);
    let mut msg = format!("From: big@{DOMAIN}\nSubject: big\n\n").into_bytes();
    let line = "0123456789 abcdefghij  klmnopqrst\t uvwxyz \n";
    while msg.len() < 24 << 20 {
        msg.extend_from_slice(line.as_bytes());
    }
    let dir = sb.scratch();
    let path = dir.join("big");
    std::fs::write(&path, &msg).unwrap();
    // qmail-dkim (and the qmail-queue it becomes) in 16 MiB of address space: a
    // 24 MiB message cannot be held in memory.
    let env = dir.join("env");
    std::fs::write(&env, b"Fbig@sign.example\0Tx@far.example\0\0").unwrap();
    let r = sb.sh(&format!(
        "ulimit -v 16384; exec /var/qmail/bin/qmail-dkim < {} 1< {}",
        path.display(),
        env.display()
    ));
    assert_eq!(r.code, Some(0), "{}", r.stderr_str());

    let msgs = queued(&sb);
    assert_eq!(msgs.len(), 1);
    assert!(msgs[0].ends_with(&msg[msg.len() - 1000..]));
    assert_eq!(dkimpy(&sb, &msgs[0], &records), "PASS");
}
