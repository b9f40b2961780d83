//! Local delivery end to end: qmail-inject → qmail-queue → qmail-send → qmail-lspawn →
//! qmail-local → a Maildir, with the whole system running in the sandbox.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use qmail_e2e::{mailbox, maildir_messages, Sandbox};

#[test]
fn inject_to_maildir() {
    let sb = Sandbox::new();
    sb.control("me", &["e2e.example"]);
    sb.control("locals", &["e2e.example"]);
    let home = mailbox(&sb, "alice");
    let send = sb.start_send("./Maildir/");
    let r = sb.sh(
        "printf 'Subject: hello\\n\\nbody line\\n' | /var/qmail/bin/qmail-inject -f bob@e2e.example alice@e2e.example",
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr_str());
    assert!(send.wait_log("end msg", 1, 30), "{}", send.log_text());
    let msgs = maildir_messages(&home.join("Maildir"));
    assert_eq!(msgs.len(), 1, "{}", send.log_text());
    let m = String::from_utf8_lossy(&msgs[0]);
    assert!(
        m.starts_with("Return-Path: <bob@e2e.example>\nDelivered-To: alice@e2e.example\n"),
        "{m}"
    );
    assert!(
        m.contains("Subject: hello\n") && m.ends_with("\nbody line\n"),
        "{m}"
    );
    let log = send.log_text();
    assert!(log.contains("starting delivery 1: msg "), "{log}");
    assert!(log.contains("delivery 1: success: did_1+0+0/"), "{log}");
    assert!(sb.wait_queue_empty(10));
}
