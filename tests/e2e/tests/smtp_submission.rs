//! Mail clients and relays submitting through qmail-tlsd: what qmail-queue learns after
//! AUTH (RELAYCLIENT and TCPREMOTEINFO, as the qmail SMTP AUTH patches pass them on),
//! the Received line naming the authenticated user.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::process::Command;

use qmail_e2e::smtptls::{
    certificate, checkpassword_script, server_args, system, wait_messages, DOMAIN,
};
use qmail_e2e::{mailbox, wait_for, Sandbox};

/// A QMAILQUEUE wrapper that writes its environment to `dir/env.PID` and runs
/// qmail-queue; its path.
fn env_recorder(sb: &Sandbox) -> (std::path::PathBuf, String) {
    let dir = sb.scratch();
    let r = sb.sh(&format!("chmod 1777 {}", dir.display()));
    assert_eq!(r.code, Some(0));
    let p = dir.join("qq");
    std::fs::write(
        &p,
        format!(
            "#!/bin/sh\nenv > {}/env.$$\nexec /var/qmail/bin/qmail-queue\n",
            dir.display()
        ),
    )
    .unwrap();
    let r = sb.sh(&format!("chmod 755 {}", p.display()));
    assert_eq!(r.code, Some(0));
    (dir, p.display().to_string())
}

fn recorded_envs(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("env."))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn auth_passes_relayclient_and_the_user_to_qmail_queue_and_the_received_line() {
    let (sb, _send) = system();
    let home = mailbox(&sb, "frank");
    certificate(&sb, false);
    let chk = checkpassword_script(&sb);
    let (dir, qq) = env_recorder(&sb);
    let d = server_args(
        &sb,
        &format!("QMAILQUEUE={qq}"),
        "",
        &format!("{DOMAIN} {chk} /bin/true"),
    );
    let port = d.port.to_string();
    let swaks = |auth: bool, body: &str| {
        let mut c = Command::new("swaks");
        c.args(["--server", "127.0.0.1", "--port", &port, "--tls"])
            .args(["--helo", "client.example", "--from", "x@client.example"])
            .args(["--to", &format!("frank@{DOMAIN}"), "--body", body]);
        if auth {
            c.args(["--auth", "PLAIN", "--auth-user", "alice"])
                .args(["--auth-password", "s3cret"]);
        }
        let out = c.output().unwrap();
        let t = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(out.status.code(), Some(0), "{t}");
    };
    swaks(true, "with auth");
    assert!(wait_for(30, || recorded_envs(&dir).len() == 1));
    swaks(false, "without auth");
    assert!(wait_for(30, || recorded_envs(&dir).len() == 2));
    let envs = recorded_envs(&dir);
    let (authed, plain): (Vec<&String>, Vec<&String>) =
        envs.iter().partition(|e| e.contains("TCPREMOTEINFO="));
    assert_eq!((authed.len(), plain.len()), (1, 1), "{envs:?}");
    let lines = |e: &str| -> Vec<String> { e.lines().map(str::to_string).collect() };
    let a = lines(authed[0]);
    assert!(a.contains(&"RELAYCLIENT=".to_string()), "{a:?}");
    assert!(a.contains(&"TCPREMOTEINFO=alice".to_string()), "{a:?}");
    let p = lines(plain[0]);
    assert!(!p.iter().any(|l| l.starts_with("RELAYCLIENT=")), "{p:?}");
    let msgs = wait_messages(&home.join("Maildir"), 2);
    let with = msgs.iter().find(|m| m.contains("\nwith auth")).unwrap();
    assert!(
        with.contains("Received: from unknown (HELO client.example) (alice@127.0.0.1)\n  by tls.example with (TLSv1.3 "),
        "{with}"
    );
    let without = msgs.iter().find(|m| m.contains("\nwithout auth")).unwrap();
    assert!(
        without.contains("Received: from unknown (HELO client.example) (127.0.0.1)\n  by tls.example with (TLSv1.3 "),
        "{without}"
    );
    assert!(
        d.daemon
            .log_text()
            .contains("auth ok for alice from 127.0.0.1"),
        "{}",
        d.daemon.log_text()
    );
}

/// An expired certificate is served (most clients on port 25 do not check it, and
/// refusing STARTTLS would send the mail in clear text) with a warning in the log for
/// every connection; a client that checks it refuses the handshake.
#[test]
fn an_expired_certificate_is_served_with_a_warning() {
    let (sb, _send) = system();
    let home = mailbox(&sb, "gina");
    let ca = certificate(&sb, true);
    let d = qmail_e2e::smtptls::server(&sb, "", "");
    let out = Command::new("swaks")
        .args([
            "--server",
            "127.0.0.1",
            "--port",
            &d.port.to_string(),
            "--tls",
        ])
        .args([
            "--from",
            "x@client.example",
            "--to",
            &format!("gina@{DOMAIN}"),
        ])
        .args(["--body", "over expired TLS"])
        .output()
        .unwrap();
    let t = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let msgs = wait_messages(&home.join("Maildir"), 1);
    assert!(msgs[0].contains(" encrypted) SMTP; "), "{}", msgs[0]);
    let out = qmail_e2e::smtptls::python(&format!(
        r#"
import smtplib, ssl
ctx = ssl.create_default_context(cafile="{ca}")
s = smtplib.SMTP("127.0.0.1", {p})
try:
    s.starttls(context=ctx)
    raise SystemExit("an expired certificate was accepted")
except ssl.SSLCertVerificationError as e:
    print(e.verify_message)
"#,
        ca = ca.display(),
        p = d.port
    ));
    assert!(out.contains("certificate has expired"), "{out}");
    let log = d.daemon.log_text();
    assert!(
        log.matches("warning: the certificate in control/servercert.pem expired at 1 Feb 2020 00:00:00 -0000").count() >= 2,
        "{log}"
    );
}

/// Submission on "587": qmail-tlsd in front, SUBMISSION set, AUTH after STARTTLS.
fn submission_server(sb: &Sandbox) -> qmail_e2e::smtptls::Server {
    let chk = checkpassword_script(sb);
    server_args(sb, "SUBMISSION=1", "", &format!("{DOMAIN} {chk} /bin/true"))
}

/// s-nail, a mail user agent, submits with STARTTLS and AUTH PLAIN and LOGIN.
#[test]
fn s_nail_submits_with_starttls_and_auth() {
    let (sb, _send) = system();
    let home = mailbox(&sb, "hanna");
    certificate(&sb, false);
    let d = submission_server(&sb);
    let tmp = sb.scratch();
    for (mech, pass) in [("plain", "s3cret"), ("login", "s3cret"), ("plain", "wrong")] {
        let mut c = Command::new("s-nail");
        c.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", &tmp)
            .env("LC_ALL", "C.UTF-8")
            .args([
                "-n",
                "-Sv15-compat",
                "-Ssendwait",
                "-Sexpandaddr=fail,-all,+addr",
            ])
            .arg(format!("-Smta=smtp://alice:{pass}@127.0.0.1:{}", d.port))
            .args(["-Ssmtp-use-starttls", "-Stls-verify=ignore"])
            .arg(format!("-Ssmtp-auth={mech}"))
            .args([
                "-Sfrom=alice@client.example",
                "-s",
                &format!("via s-nail {mech}"),
            ])
            .arg(format!("hanna@{DOMAIN}"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = c.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("sent with {mech}\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        if pass == "wrong" {
            assert_ne!(out.status.code(), Some(0), "{err}");
        } else {
            assert_eq!(out.status.code(), Some(0), "{err}");
        }
    }
    let msgs = wait_messages(&home.join("Maildir"), 2);
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    for mech in ["plain", "login"] {
        let m = msgs
            .iter()
            .find(|m| m.contains(&format!("Subject: via s-nail {mech}")))
            .unwrap();
        assert!(
            m.contains("(alice@127.0.0.1)\n  by tls.example with (TLSv1."),
            "{m}"
        );
        assert!(m.contains(&format!("\nsent with {mech}\n")), "{m}");
    }
    let log = d.daemon.log_text();
    assert_eq!(
        log.matches("auth ok for alice from 127.0.0.1").count(),
        2,
        "{log}"
    );
    assert!(
        log.contains("auth failed for alice from 127.0.0.1"),
        "{log}"
    );
}

/// git send-email submits a patch with STARTTLS (--smtp-encryption=tls), checking the
/// certificate, and AUTH.
#[test]
fn git_send_email_submits_with_starttls_and_auth() {
    let (sb, _send) = system();
    let home = mailbox(&sb, "ivan");
    let ca = certificate(&sb, false);
    let d = submission_server(&sb);
    let repo = sb.scratch().join("repo");
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-C", &repo.display().to_string()])
            .args(args)
            .env("HOME", repo.parent().unwrap())
            .env("GIT_AUTHOR_NAME", "Alice")
            .env("GIT_AUTHOR_EMAIL", "alice@client.example")
            .env("GIT_COMMITTER_NAME", "Alice")
            .env("GIT_COMMITTER_EMAIL", "alice@client.example")
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), all)
    };
    std::fs::create_dir_all(&repo).unwrap();
    assert_eq!(git(&["init", "-q"]).0, Some(0));
    std::fs::write(repo.join("README"), "qmail over TLS\n").unwrap();
    assert_eq!(git(&["add", "README"]).0, Some(0));
    assert_eq!(git(&["commit", "-q", "-m", "Add a README"]).0, Some(0));
    let (code, out) = git(&["format-patch", "-q", "-1", "-o", "out"]);
    assert_eq!(code, Some(0), "{out}");
    let port = d.port.to_string();
    let (code, out) = git(&[
        "send-email",
        "--smtp-server=127.0.0.1",
        &format!("--smtp-server-port={port}"),
        "--smtp-encryption=tls",
        // The certificate is verified (its name is 127.0.0.1 too).
        &format!("--smtp-ssl-cert-path={}", ca.display()),
        "--smtp-user=alice",
        "--smtp-pass=s3cret",
        "--from=Alice <alice@client.example>",
        &format!("--to=ivan@{DOMAIN}"),
        "--confirm=never",
        "--suppress-cc=all",
        "--smtp-debug=1",
        "out",
    ]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("STARTTLS") && out.contains("235 "), "{out}");
    let msgs = wait_messages(&home.join("Maildir"), 1);
    let m = &msgs[0];
    assert!(m.contains("Subject: [PATCH] Add a README"), "{m}");
    assert!(m.contains("+qmail over TLS\n"), "{m}");
    assert!(
        m.contains("(alice@127.0.0.1)\n  by tls.example with (TLSv1."),
        "{m}"
    );
}

/// qmail-checkpw -f: a site password file (`name:hash`, crypt(3) hashes, here SHA-512
/// made by openssl) for names that are no system account, readable by group shadow only.
#[test]
fn qmail_checkpw_with_a_site_password_file() {
    let (sb, _send) = system();
    certificate(&sb, false);
    let out = Command::new("openssl")
        .args(["passwd", "-6", "-salt", "qmailrsalt", "Virtu4l-pass"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let hash = String::from_utf8(out.stdout).unwrap();
    std::fs::write(
        sb.path("control/smtppasswd"),
        format!("# site accounts\nvuser:{}\nlocked:!{}", hash.trim(), hash),
    )
    .unwrap();
    let r = sb.sh(
        "chown root:shadow /var/qmail/control/smtppasswd && chmod 640 /var/qmail/control/smtppasswd \
         && chgrp shadow /var/qmail/bin/qmail-checkpw && chmod 2711 /var/qmail/bin/qmail-checkpw",
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr_str());
    let r = sb.sh(
        "setpriv --reuid qmaild --regid nofiles --clear-groups cat /var/qmail/control/smtppasswd",
    );
    assert_ne!(r.code, Some(0), "qmaild read the password file");
    // Setgid shadow, it takes a file from control/ only: no caller can make it an oracle
    // for another file the group can read.
    let r = sb.sh(
        "printf 'vuser\\0Virtu4l-pass\\0t\\0' > /tmp/req.$$; \
         for f in /var/qmail/control/smtppasswd /etc/gshadow; do \
         setpriv --reuid qmaild --regid nofiles --clear-groups \
         /var/qmail/bin/qmail-checkpw -f $f /bin/true 3</tmp/req.$$; echo \"$f $?\"; done; rm -f /tmp/req.$$",
    );
    assert_eq!(
        r.stdout_str(),
        "/var/qmail/control/smtppasswd 0\n/etc/gshadow 111\n",
        "{}",
        r.stderr_str()
    );
    let d = server_args(
        &sb,
        "",
        "",
        &format!(
            "{DOMAIN} /var/qmail/bin/qmail-checkpw -f /var/qmail/control/smtppasswd /bin/true"
        ),
    );
    let port = d.port.to_string();
    let swaks = |user: &str, pass: &str| {
        let out = Command::new("swaks")
            .args(["--server", "127.0.0.1", "--port", &port, "--tls"])
            .args([
                "--auth",
                "LOGIN",
                "--auth-user",
                user,
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
    let (code, t) = swaks("vuser", "Virtu4l-pass");
    assert_eq!(code, Some(0), "{t}");
    assert!(t.contains("<~  235 ok, go ahead (#2.0.0)"), "{t}");
    for (user, pass) in [
        ("vuser", "wrong"),
        ("locked", "Virtu4l-pass"),
        ("root", "Virtu4l-pass"),
    ] {
        let (code, t) = swaks(user, pass);
        assert_ne!(code, Some(0), "{t}");
        assert!(
            t.contains("<~* 535 authorization failed (#5.7.0)"),
            "{user}: {t}"
        );
    }
    let log = d.daemon.log_text();
    assert!(log.contains("auth ok for vuser from 127.0.0.1"), "{log}");
    assert!(
        log.contains("auth failed for locked from 127.0.0.1"),
        "{log}"
    );
}
