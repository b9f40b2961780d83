#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::process::Command;

use qmail_e2e::{feed, FakeQueue};

const BIN: &str = env!("CARGO_BIN_EXE_forward");

/// (exit code, stderr) of forward reading `msg`, with `qq` as qmail-queue; it never
/// writes to stdout.
fn run(qq: &FakeQueue, args: &[&str], env: &[(&str, &str)], msg: &[u8]) -> (i32, String) {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_clear()
        .env("QMAILQUEUE", qq.program())
        .envs(env.iter().copied());
    let r = feed(&mut c, msg);
    assert!(r.stdout.is_empty());
    (r.exit(), r.stderr_str())
}

const ENV: &[(&str, &str)] = &[
    ("NEWSENDER", "list-owner@example.com"),
    ("SENDER", "someone@example.org"),
    ("DTLINE", "Delivered-To: joe-fwd@example.com\n"),
];

#[test]
fn queues_dtline_and_message_from_newsender() {
    let qq = FakeQueue::once(0);
    let (code, err) = run(
        &qq,
        &["a@example.net", "b@example.net"],
        ENV,
        b"Subject: x\n\nbody\n",
    );
    let pid = String::from_utf8(qq.read("pid")).unwrap();
    assert_eq!((code, err), (0, format!("forward: qp {pid}")));
    assert_eq!(
        qq.read("mess"),
        b"Delivered-To: joe-fwd@example.com\nSubject: x\n\nbody\n"
    );
    assert_eq!(
        qq.read("env"),
        b"Flist-owner@example.com\0Ta@example.net\0Tb@example.net\0\0"
    );
}

#[test]
fn starts_at_the_current_offset_of_stdin() {
    let qq = FakeQueue::once(0);
    let msg = qq.dir().join("msg");
    fs::write(&msg, b"skipped\nkept\n").unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{{ read x; exec {BIN} c@example.net; }} < {}",
            msg.display()
        ))
        .env_clear()
        .envs(ENV.iter().copied())
        .env("QMAILQUEUE", qq.program())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        qq.read("mess"),
        b"Delivered-To: joe-fwd@example.com\nkept\n"
    );
}

#[test]
fn queue_failures() {
    let qq = FakeQueue::once(31);
    assert_eq!(
        run(&qq, &["a@example.net"], ENV, b"x\n"),
        (
            100,
            "forward: fatal: mail server permanently rejected message (#5.3.0)\n".into()
        )
    );
    let qq = FakeQueue::once(53);
    assert_eq!(
        run(&qq, &["a@example.net"], ENV, b"x\n"),
        (
            111,
            "forward: fatal: qq write error or disk full (#4.3.0)\n".into()
        )
    );
}

#[test]
fn needs_newsender_and_dtline() {
    let qq = FakeQueue::once(0);
    assert_eq!(
        run(&qq, &["a@example.net"], &[("DTLINE", "x\n")], b"x\n"),
        (100, "forward: fatal: NEWSENDER not set\n".into())
    );
    assert_eq!(
        run(&qq, &["a@example.net"], &[("NEWSENDER", "x")], b"x\n"),
        (100, "forward: fatal: DTLINE not set\n".into())
    );
    assert!(!qq.dir().join("mess").exists());
}
