//! Failed deliveries: exit codes and the exact report text.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use common::{Home, MSG};

#[test]
fn program_exit_100_bounces_and_111_defers_and_cancel_forwards() {
    let h = Home::new();
    h.maildir("Maildir");
    let qq = h.fake_queue(0);
    let env = [("QMAILQUEUE", qq.as_str())];
    h.dotq(
        "-b",
        &["&f@example.net", "|echo go away; exit 100", "./Maildir/"],
    );
    let r = h.deliver_env(
        &[],
        "qltest-b",
        Some("b"),
        "example.com",
        "s@x",
        "./Mailbox",
        MSG,
        &env,
    );
    assert_eq!((r.code, r.out.as_str()), (100, "go away\n"));
    h.dotq(
        "-t",
        &["./Maildir/", "&f@example.net", "|echo later; exit 111"],
    );
    let r = h.deliver_env(
        &[],
        "qltest-t",
        Some("t"),
        "example.com",
        "s@x",
        "./Mailbox",
        MSG,
        &env,
    );
    assert_eq!((r.code, r.out.as_str()), (111, "later\n"));
    h.dotq("-sysexits", &["|exit 77"]);
    let r = h.deliver_env(
        &[],
        "qltest-sysexits",
        Some("sysexits"),
        "example.com",
        "s@x",
        "./Mailbox",
        MSG,
        &env,
    );
    assert_eq!((r.code, r.out.as_str()), (100, ""));
    h.dotq("-crash", &["|kill -9 $$"]);
    let r = h.deliver_env(
        &[],
        "qltest-crash",
        Some("crash"),
        "example.com",
        "s@x",
        "./Mailbox",
        MSG,
        &env,
    );
    assert_eq!(
        (r.code, r.out.as_str()),
        (111, "Aack, child crashed. (#4.3.0)\n")
    );
    // no forward was ever submitted; the Maildir line before the 111 did run
    assert!(!h.exists("qq.env"));
    assert_eq!(h.maildir_messages("Maildir").len(), 1);
}

#[test]
fn queue_failure_is_reported_with_its_permanence() {
    let h = Home::new();
    h.dotq("-f", &["&f@example.net"]);
    let qq = h.fake_queue(31);
    let env = [("QMAILQUEUE", qq.as_str())];
    let r = h.deliver_env(
        &[],
        "qltest-f",
        Some("f"),
        "example.com",
        "s@x",
        "./Mailbox",
        MSG,
        &env,
    );
    assert_eq!(
        (r.code, r.out.as_str()),
        (
            100,
            "Unable to forward message: mail server permanently rejected message (#5.3.0).\n"
        )
    );
    let qq = h.fake_queue(53);
    let env = [("QMAILQUEUE", qq.as_str())];
    let r = h.deliver_env(
        &[],
        "qltest-f",
        Some("f"),
        "example.com",
        "s@x",
        "./Mailbox",
        MSG,
        &env,
    );
    assert_eq!(
        (r.code, r.out.as_str()),
        (
            111,
            "Unable to forward message: qq write error or disk full (#4.3.0).\n"
        )
    );
}

#[test]
fn delivered_to_loop_is_permanent() {
    let h = Home::new();
    h.maildir("Maildir");
    let msg = format!("Received: x\nDelivered-To: qltest-l@example.com\n{MSG}");
    let r = h.deliver(&[], "qltest-l", Some("l"), "s@x", "./Maildir/", &msg);
    // the loop check comes before the .qmail search
    assert_eq!(
        (r.code, r.out.as_str()),
        (
            100,
            "This message is looping: it already has my Delivered-To line. (#5.4.6)\n"
        )
    );
    // only in the header, and only byte for byte
    let msg = format!("{MSG}Delivered-To: qltest@example.com\n");
    let r = h.deliver(&[], "qltest", None, "s@x", "./Maildir/", &msg);
    assert_eq!((r.code, r.out.as_str()), (0, "did 1+0+0\n"));
    let msg = format!("Delivered-To: QLTEST@example.com\n{MSG}");
    let r = h.deliver(&[], "qltest", None, "s@x", "./Maildir/", &msg);
    assert_eq!((r.code, r.out.as_str()), (0, "did 1+0+0\n"));
}

#[test]
fn world_writable_dot_qmail_defers_group_writable_does_not() {
    let h = Home::new();
    h.maildir("Maildir");
    h.dotq("-ww", &["./Maildir/"]);
    fs::set_permissions(h.path(".qmail-ww"), fs::Permissions::from_mode(0o666)).unwrap();
    let r = h.deliver(&[], "qltest-ww", Some("ww"), "s@x", "./Maildir/", MSG);
    assert_eq!(
        (r.code, r.out.as_str()),
        (111, "Uh-oh: .qmail file is writable. (#4.7.0)\n")
    );
    h.dotq("-gw", &["./Maildir/"]);
    fs::set_permissions(h.path(".qmail-gw"), fs::Permissions::from_mode(0o664)).unwrap();
    let r = h.deliver(&[], "qltest-gw", Some("gw"), "s@x", "./Maildir/", MSG);
    assert_eq!((r.code, r.out.as_str()), (0, "did 1+0+0\n"));
}

#[test]
fn writable_and_sticky_home() {
    let h = Home::new();
    fs::set_permissions(&h.dir, fs::Permissions::from_mode(0o1755)).unwrap();
    let r = h.deliver(&[], "qltest", None, "s@x", "./Maildir/", MSG);
    assert_eq!(
        (r.code, r.out.as_str()),
        (
            111,
            "Home directory is sticky: user is editing his .qmail file. (#4.2.1)\n"
        )
    );
    let r = h.deliver(&["-n"], "qltest", None, "s@x", "./Maildir/", MSG);
    assert_eq!(
        (r.code, r.out.as_str()),
        (
            0,
            "Warning: home directory is sticky.\nmaildir ./Maildir/\ndid 1+0+0\n"
        )
    );
    fs::set_permissions(&h.dir, fs::Permissions::from_mode(0o757)).unwrap();
    let r = h.deliver(&[], "qltest", None, "s@x", "./Maildir/", MSG);
    assert_eq!(
        (r.code, r.out.as_str()),
        (111, "Uh-oh: home directory is writable. (#4.7.0)\n")
    );
}

#[test]
fn no_mailbox_for_unknown_extension() {
    let h = Home::new();
    h.dotq("-known", &["./Maildir/"]);
    let r = h.deliver(
        &[],
        "qltest-nosuch",
        Some("nosuch"),
        "s@x",
        "./Maildir/",
        MSG,
    );
    assert_eq!(
        (r.code, r.out.as_str()),
        (100, "Sorry, no mailbox here by that name. (#5.1.1)\n")
    );
}

#[test]
fn bad_dot_qmail_contents() {
    let h = Home::new();
    h.dotq("-blank", &["", "./Maildir/"]);
    let r = h.deliver(&[], "qltest-blank", Some("blank"), "s@x", "./Maildir/", MSG);
    assert_eq!(
        (r.code, r.out.as_str()),
        (111, "Uh-oh: first line of .qmail file is blank. (#4.2.1)\n")
    );
    h.dotq("-x", &["&a@b", "./Maildir/"]);
    fs::set_permissions(h.path(".qmail-x"), fs::Permissions::from_mode(0o744)).unwrap();
    let r = h.deliver(&[], "qltest-x", Some("x"), "s@x", "./Maildir/", MSG);
    assert_eq!(
        (r.code, r.out.as_str()),
        (
            111,
            "Uh-oh: .qmail has file delivery but has x bit set. (#4.7.0)\n"
        )
    );
    h.dotq("-list", &["+list", "|true"]);
    let r = h.deliver(&[], "qltest-list", Some("list"), "s@x", "./Maildir/", MSG);
    assert_eq!(
        (r.code, r.out.as_str()),
        (
            111,
            "Uh-oh: .qmail has prog delivery but has x bit set. (#4.7.0)\n"
        )
    );
}

#[test]
fn maildir_problems_are_temporary() {
    let h = Home::new();
    h.dotq("-nodir", &["./nosuch/"]);
    let r = h.deliver(&[], "qltest-nodir", Some("nodir"), "s@x", "./Maildir/", MSG);
    assert_eq!(
        (r.code, r.out.as_str()),
        (111, "Unable to chdir to maildir. (#4.2.1)\n")
    );
    h.put("half", "", 0o644);
    fs::remove_file(h.path("half")).unwrap();
    h.maildir("half");
    fs::remove_dir(h.path("half/tmp")).unwrap();
    h.dotq("-half", &["./half/"]);
    let r = h.deliver(&[], "qltest-half", Some("half"), "s@x", "./Maildir/", MSG);
    assert_eq!(
        (r.code, r.out.as_str()),
        (111, "Temporary error on maildir delivery. (#4.3.0)\n")
    );
}

#[test]
fn usage_is_permanent() {
    let h = Home::new();
    let r = h.deliver(&["-x"], "qltest", None, "s@x", "./Maildir/", MSG);
    assert_eq!(r.code, 100);
    assert!(r.out.starts_with("qmail-local: usage: "), "{}", r.out);
}

/// As qmail's: with -n, the plan goes to stdout and warnings, errors and the usage line to
/// stderr, and the usage names the last argument `aliasempty`.
#[test]
fn dash_n_keeps_stdout_for_the_plan() {
    let h = Home::new();
    fs::set_permissions(&h.dir, fs::Permissions::from_mode(0o1755)).unwrap();
    let out = h
        .command(
            &["-n"],
            "qltest",
            None,
            "example.com",
            "s@x",
            "./Maildir/",
            MSG,
            &[],
        )
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, b"maildir ./Maildir/\ndid 1+0+0\n");
    assert_eq!(out.stderr, b"Warning: home directory is sticky.\n");
    let out = h
        .command(
            &["-x"],
            "qltest",
            None,
            "example.com",
            "s@x",
            "./Maildir/",
            MSG,
            &[],
        )
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(100));
    assert_eq!(out.stdout, b"");
    assert_eq!(
        out.stderr,
        &b"qmail-local: usage: qmail-local [ -nN ] user homedir local dash ext domain sender aliasempty\n"[..]
    );
}
