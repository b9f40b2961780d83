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
