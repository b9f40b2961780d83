#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::process::{Command, Stdio};

use qmail_e2e::{FakeQueue, Run};

const BIN: &str = env!("CARGO_BIN_EXE_condredirect");
const MSG: &[u8] = b"Subject: please REDIRECT\n\nbody\n";

/// A fake qmail-queue that records message, envelope and pid, with the message as a
/// seekable file beside it.
fn setup(qq_exit: u8) -> FakeQueue {
    let qq = FakeQueue::once(qq_exit);
    fs::write(qq.dir().join("msg"), MSG).unwrap();
    qq
}

fn run(t: &FakeQueue, args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN)
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("QMAILQUEUE", t.program())
        .env("SENDER", "bounces@example.org")
        .env("NEWSENDER", "owner@example.com")
        .env("DTLINE", "Delivered-To: joe-cond@example.com\n")
        .stdin(Stdio::from(fs::File::open(t.dir().join("msg")).unwrap()))
        .output()
        .unwrap();
    Run::from(out).combined()
}

#[test]
fn program_success_forwards_the_whole_message_and_exits_99() {
    let t = setup(0);
    // grep reads all of fd 0; condredirect must rewind before queueing.
    let (code, out) = run(&t, &["new@example.net", "grep", "-q", "REDIRECT"]);
    let pid = String::from_utf8(t.read("pid")).unwrap();
    assert_eq!((code, out), (99, format!("condredirect: qp {pid}")));
    let mut want = b"Delivered-To: joe-cond@example.com\n".to_vec();
    want.extend_from_slice(MSG);
    assert_eq!(t.read("mess"), want);
    // The sender is SENDER, not NEWSENDER.
    assert_eq!(t.read("env"), b"Fbounces@example.org\0Tnew@example.net\0\0");
}

#[test]
fn program_failure_lets_the_dot_qmail_go_on() {
    let t = setup(0);
    assert_eq!(
        run(&t, &["new@example.net", "grep", "-q", "NOTHERE"]),
        (0, String::new())
    );
    assert_eq!(
        run(&t, &["new@example.net", "sh", "-c", "exit 100"]),
        (0, String::new())
    );
    assert_eq!(
        run(&t, &["new@example.net", "/nonexistent/program"]),
        (0, String::new())
    );
    assert!(!t.queued());
}

#[test]
fn program_output_passes_through() {
    let t = setup(0);
    assert_eq!(
        run(&t, &["new@example.net", "sh", "-c", "echo hello; exit 1"]),
        (0, "hello\n".into())
    );
}

#[test]
fn temporary_failures() {
    let t = setup(0);
    assert_eq!(
        run(&t, &["new@example.net", "sh", "-c", "exit 111"]),
        (111, "condredirect: fatal: temporary child error\n".into())
    );
    assert_eq!(
        run(&t, &["new@example.net", "sh", "-c", "kill -9 $$"]),
        (111, "condredirect: fatal: child crashed\n".into())
    );
    assert!(!t.queued());
}

#[test]
fn queue_failure_after_a_yes() {
    let t = setup(31);
    assert_eq!(
        run(&t, &["new@example.net", "true"]),
        (
            100,
            "condredirect: fatal: mail server permanently rejected message (#5.3.0)\n".into()
        )
    );
    let t = setup(71);
    assert_eq!(run(&t, &["new@example.net", "true"]).0, 111);
}

#[test]
fn usage() {
    let t = setup(0);
    let u = "condredirect: usage: condredirect newaddress program [ arg ... ]\n";
    assert_eq!(run(&t, &[]), (100, u.into()));
    assert_eq!(run(&t, &["new@example.net"]), (100, u.into()));
}
