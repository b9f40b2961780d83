#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_bouncesaying");

/// (exit code, stdout then stderr) with a message on stdin.
fn run(args: &[&str]) -> (i32, String) {
    let r = qmail_e2e::feed(
        Command::new(BIN).args(args),
        b"Subject: please BOUNCEME\n\nbody\n",
    );
    (r.exit(), r.stdout_str() + &r.stderr_str())
}

#[test]
fn without_a_program_it_always_bounces() {
    assert_eq!(
        run(&["This address is closed."]),
        (100, "This address is closed.\n".into())
    );
}

#[test]
fn with_a_program_it_bounces_only_on_zero() {
    let text = "Bounced because of BOUNCEME.";
    assert_eq!(
        run(&[text, "grep", "-q", "BOUNCEME"]),
        (100, format!("{text}\n"))
    );
    assert_eq!(run(&[text, "grep", "-q", "NOTHERE"]), (0, String::new()));
    assert_eq!(run(&[text, "sh", "-c", "exit 100"]), (0, String::new()));
    assert_eq!(run(&[text, "/nonexistent/program"]), (0, String::new()));
}

#[test]
fn temporary_failures() {
    assert_eq!(
        run(&["x", "sh", "-c", "exit 111"]),
        (111, "bouncesaying: fatal: temporary child error\n".into())
    );
    assert_eq!(
        run(&["x", "sh", "-c", "kill -9 $$"]),
        (111, "bouncesaying: fatal: child crashed\n".into())
    );
}

#[test]
fn usage() {
    assert_eq!(
        run(&[]),
        (
            100,
            "bouncesaying: usage: bouncesaying error [ program [ arg ... ] ]\n".into()
        )
    );
}
