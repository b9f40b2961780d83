//! RCPT-time recipient checking (control/rcptcheck, qmail-newrcpt(8)) the way a site runs
//! it: the admin edits users/assign and runs qmail-newu as root, which runs qmail-newrcpt;
//! qmail-smtpd runs as qmaild and answers 550 for local addresses qmail-local would
//! bounce. One address per row of qmail's address rules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use std::fs;
use std::process::Stdio;

use qmail_e2e::{mailbox, test_user, Sandbox};

const DOMAIN: &str = "e2e.example";

/// A qmail-smtpd session as qmaild: the reply to each RCPT, in order.
fn rcpt_replies(sb: &Sandbox, rcpts: &[&str]) -> Vec<String> {
    let mut input = String::from("HELO client.example\r\nMAIL FROM:<s@remote.example>\r\n");
    for r in rcpts {
        input.push_str(&format!("RCPT TO:<{r}>\r\n"));
    }
    input.push_str("QUIT\r\n");
    let mut c = sb.command(Some("qmaild"), &["/var/qmail/bin/qmail-smtpd"]);
    c.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("TCPREMOTEIP", "192.0.2.7")
        .env("TCPLOCALIP", "127.0.0.1")
        .env("TCPLOCALHOST", DOMAIN)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("qmail-smtpd");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    assert!(lines.len() >= 3 + rcpts.len(), "{text}");
    lines[3..3 + rcpts.len()].to_vec()
}

const OK: &str = "250 ok";
const NO: &str = "550 sorry, no mailbox here by that name (#5.1.1)";

fn setup() -> (Sandbox, std::path::PathBuf) {
    let sb = Sandbox::new();
    sb.control("me", &[DOMAIN]);
    sb.control("locals", &[DOMAIN]);
    sb.control("rcpthosts", &[DOMAIN, "virt.example"]);
    sb.control("virtualdomains", &["virt.example:alice-virt"]);
    // users/assign: =alice and +alice- (mailbox() writes both), one more exact entry
    let home = mailbox(&sb, "alice");
    let user = test_user();
    for (name, text) in [
        (".qmail-list", "./Maildir/\n"),
        (".qmail-team-default", "./Maildir/\n"),
        (".qmail-a:b", "./Maildir/\n"),
        (".qmail-virt-info", "./Maildir/\n"),
    ] {
        fs::write(home.join(name), text).unwrap();
    }
    let r = sb.sh(&format!("chown {user} {}/.qmail-*", home.display()));
    assert_eq!(r.code, Some(0), "{}", r.stderr_str());
    // the alias user's files
    let r = sb.sh(
        "cd /var/qmail/alias && echo ./Mailbox > .qmail-postmaster && \
         echo ./Mailbox > .qmail-sales-default && chown alias .qmail-*",
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr_str());
    (sb, home)
}

fn newu(sb: &Sandbox) {
    let r = sb.sh("/var/qmail/bin/qmail-newu");
    assert_eq!(r.code, Some(0), "qmail-newu: {}", r.stderr_str());
}

#[test]
fn every_address_rule_at_rcpt() {
    let (sb, _home) = setup();
    sb.control("rcptcheck", &["1"]);
    newu(&sb);
    let meta = fs::metadata(sb.path("users/rcpt.cdb")).expect("qmail-newu ran qmail-newrcpt");
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
        0o644
    );
    let cases: &[(&str, &str)] = &[
        // remote domains are not judged (rcpthosts still is)
        (
            "x@remote.example",
            "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
        ),
        // users/assign exact entry, no extension: always delivered
        ("alice@e2e.example", OK),
        ("ALICE@E2E.EXAMPLE", OK),
        // users/assign wildcard +alice-: .qmail-ext
        ("alice-list@e2e.example", OK),
        ("alice-LIST@e2e.example", OK),
        ("alice-nosuch@e2e.example", NO),
        // .qmail-team-default takes team-anything, not team alone
        ("alice-team-x@e2e.example", OK),
        ("alice-team-x-y@e2e.example", OK),
        ("alice-team@e2e.example", NO),
        // dots in the extension are colons in the file name
        ("alice-a.b@e2e.example", OK),
        // the alias user: ~alias/.qmail-postmaster and .qmail-sales-default
        ("postmaster@e2e.example", OK),
        ("Postmaster@e2e.example", OK),
        ("sales-eu@e2e.example", OK),
        ("sales@e2e.example", NO),
        ("nosuchuser@e2e.example", NO),
        // root is never a delivery user: it is the alias user's .qmail-root, which
        // qmail-setup installs
        ("root@e2e.example", OK),
        // virtualdomains: virt.example:alice-virt → alice-virt-info
        ("info@virt.example", OK),
        ("other@virt.example", NO),
        // no domain: qmail-send adds envnoathost (me)
        ("alice", OK),
    ];
    let rcpts: Vec<&str> = cases.iter().map(|c| c.0).collect();
    let got = rcpt_replies(&sb, &rcpts);
    for ((addr, want), got) in cases.iter().zip(&got) {
        assert_eq!(got, want, "RCPT TO:<{addr}>");
    }
}

/// An account from passwd (qmail-getpw's rule): the test user's own home directory.
#[test]
fn passwd_account_without_extension() {
    let (sb, _home) = setup();
    sb.control("rcptcheck", &["1"]);
    newu(&sb);
    let user = test_user();
    let got = rcpt_replies(&sb, &[&format!("{user}@{DOMAIN}")]);
    assert_eq!(got, [OK]);
}

#[test]
fn off_unless_enabled() {
    let (sb, _home) = setup();
    newu(&sb);
    assert!(
        !sb.path("users/rcpt.cdb").exists(),
        "qmail-newu only builds it when on"
    );
    let got = rcpt_replies(&sb, &["nosuchuser@e2e.example", "alice-nosuch@e2e.example"]);
    assert_eq!(got, [OK, OK]);
    sb.control("rcptcheck", &["0"]);
    let got = rcpt_replies(&sb, &["nosuchuser@e2e.example"]);
    assert_eq!(got, [OK]);
}

/// A new .qmail file counts once qmail-newrcpt has run again.
#[test]
fn rebuilt_by_the_admin() {
    let (sb, home) = setup();
    sb.control("rcptcheck", &["1"]);
    newu(&sb);
    assert_eq!(rcpt_replies(&sb, &["alice-new@e2e.example"]), [NO]);
    fs::write(home.join(".qmail-new"), "./Maildir/\n").unwrap();
    let r = sb.sh("/var/qmail/bin/qmail-newrcpt");
    assert_eq!(r.code, Some(0), "{}", r.stderr_str());
    assert_eq!(rcpt_replies(&sb, &["alice-new@e2e.example"]), [OK]);
}

/// Switched on without a database: a temporary failure, never a wrong 550.
#[test]
fn missing_database_is_temporary() {
    let (sb, _home) = setup();
    sb.control("rcptcheck", &["1"]);
    let mut c = sb.command(Some("qmaild"), &["/var/qmail/bin/qmail-smtpd"]);
    c.env_clear().env("TCPREMOTEIP", "192.0.2.7");
    c.stdin(Stdio::null());
    let out = c.output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "421 unable to read controls (#4.3.0)\r\n"
    );
}

/// Home directories are read as their owner: one the owner cannot list is
/// "unknown" and everything for it is accepted (qmail-local would defer, not bounce).
#[test]
fn unreadable_home_accepts() {
    let (sb, home) = setup();
    sb.control("rcptcheck", &["1"]);
    let r = sb.sh(&format!("chmod 000 {}", home.display()));
    assert_eq!(r.code, Some(0));
    newu(&sb);
    let got = rcpt_replies(&sb, &["alice-nosuch@e2e.example"]);
    let r = sb.sh(&format!("chmod 755 {}", home.display()));
    assert_eq!(r.code, Some(0));
    assert_eq!(got, [OK]);
}
