#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_except");

/// (exit code, stdout then stderr) with a message on stdin.
fn run(args: &[&str]) -> (i32, String) {
    qmail_e2e::feed(Command::new(BIN).args(args), b"Subject: plain\n\nbody\n").combined()
}

#[test]
fn inverts_success_and_permanent_failure() {
    assert_eq!(run(&["grep", "-q", "plain"]), (100, String::new()));
    assert_eq!(run(&["grep", "-q", "NOTHERE"]), (0, String::new()));
    assert_eq!(
        run(&["sh", "-c", "echo no such user; exit 100"]),
        (0, "no such user\n".into())
    );
    assert_eq!(run(&["sh", "-c", "exit 99"]), (0, String::new()));
    assert_eq!(run(&["/nonexistent/program"]), (0, String::new()));
}

#[test]
fn temporary_failures_stay_temporary() {
    assert_eq!(
        run(&["sh", "-c", "exit 111"]),
        (111, "except: fatal: temporary child error\n".into())
    );
    assert_eq!(
        run(&["sh", "-c", "kill -9 $$"]),
        (111, "except: fatal: child crashed\n".into())
    );
}

#[test]
fn usage() {
    assert_eq!(
        run(&[]),
        (100, "except: usage: except program [ arg ... ]\n".into())
    );
}
