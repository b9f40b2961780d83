//! The first configuration, as a new user meets it: qmail-setup run in a UTS namespace
//! with the host name a fresh machine has. With a dotless name (`vm`) mail from
//! `sendmail user`, to `user@vm` and to `user@localhost` is delivered locally; with a
//! fully qualified one the control files are qmail's, plus `localhost` in locals. Mail to
//! root and postmaster lands in ~alias/Maildir/ from the first minute.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::fs;

use qmail_e2e::{bin_dir, mailbox, maildir_messages, src_dir, wait_for, Sandbox};

/// Forget the sandbox's configuration and set up again under host name `host`; what
/// qmail-setup printed.
fn configure_as(sb: &Sandbox, host: &str) -> String {
    for f in ["me", "defaultdomain", "plusdomain", "locals", "rcpthosts"] {
        let _ = fs::remove_file(sb.path("control").join(f));
    }
    let r = sb.sh(&format!(
        "unshare --uts /bin/sh -c 'hostname {host} && exec {} --home-only --bindir {} --srcdir {}'",
        bin_dir().join("qmail-setup").display(),
        bin_dir().display(),
        src_dir().display()
    ));
    assert_eq!(r.code, Some(0), "qmail-setup: {}", r.stderr_str());
    r.stdout_str()
}

fn control(sb: &Sandbox, name: &str) -> String {
    fs::read_to_string(sb.path("control").join(name)).unwrap()
}

/// Send one message with sendmail to each address; wait until `want` messages are in
/// `maildir`.
fn send_all(sb: &Sandbox, to: &[&str]) {
    for t in to {
        let r = sb.sh(&format!(
            "printf 'Subject: to {t}\\n\\nhello\\n' | /var/qmail/bin/sendmail {t}"
        ));
        assert_eq!(r.code, Some(0), "sendmail {t}: {}", r.stderr_str());
    }
}

fn wait_count(dir: &std::path::Path, want: usize) -> usize {
    wait_for(30, || maildir_messages(dir).len() >= want);
    maildir_messages(dir).len()
}

#[test]
fn dotless_host_delivers_locally() {
    let sb = Sandbox::new();
    let out = configure_as(&sb, "vm");
    assert!(
        out.contains("Your host name vm has no dot")
            && out.contains("vm, vm.localdomain, localhost, localhost.localdomain are all local"),
        "{out}"
    );
    assert_eq!(control(&sb, "me"), "vm\n");
    assert_eq!(control(&sb, "defaultdomain"), "localdomain\n");
    assert_eq!(control(&sb, "plusdomain"), "localdomain\n");
    assert_eq!(
        control(&sb, "locals"),
        "vm\nvm.localdomain\nlocalhost\nlocalhost.localdomain\n"
    );
    assert_eq!(control(&sb, "rcpthosts"), "vm\nvm.localdomain\n");

    let home = mailbox(&sb, "newbie");
    let _send = sb.start_send("./Maildir/");
    send_all(
        &sb,
        &[
            "newbie",
            "newbie@vm",
            "newbie@localhost",
            "root",
            "postmaster@vm",
        ],
    );
    let md = home.join("Maildir");
    assert_eq!(wait_count(&md, 3), 3, "{}", _send.log_text());
    let admin = sb.path("alias/Maildir");
    assert_eq!(wait_count(&admin, 2), 2, "{}", _send.log_text());
    assert!(sb.wait_queue_empty(10), "{}", _send.log_text());
    assert!(!_send.log_text().contains("bounce"), "{}", _send.log_text());
}

#[test]
fn dotted_host_is_configured_as_qmail_does() {
    let sb = Sandbox::new();
    let out = configure_as(&sb, "mail.h10.example");
    assert!(
        out.contains("Your fully qualified host name is mail.h10.example."),
        "{out}"
    );
    assert_eq!(control(&sb, "me"), "mail.h10.example\n");
    assert_eq!(control(&sb, "defaultdomain"), "h10.example\n");
    assert_eq!(control(&sb, "plusdomain"), "h10.example\n");
    assert_eq!(control(&sb, "locals"), "mail.h10.example\nlocalhost\n");
    assert_eq!(control(&sb, "rcpthosts"), "mail.h10.example\n");

    let home = mailbox(&sb, "newbie");
    let _send = sb.start_send("./Maildir/");
    send_all(&sb, &["newbie", "newbie@mail.h10.example", "postmaster"]);
    assert_eq!(
        wait_count(&home.join("Maildir"), 2),
        2,
        "{}",
        _send.log_text()
    );
    assert_eq!(
        wait_count(&sb.path("alias/Maildir"), 1),
        1,
        "{}",
        _send.log_text()
    );
}
