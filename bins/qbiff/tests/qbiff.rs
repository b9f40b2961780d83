#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_qbiff");

/// (exit code, stdout followed by stderr).
fn run(env: &[(&str, &str)], msg: &[u8]) -> (i32, Vec<u8>) {
    let mut c = Command::new(BIN);
    c.env_clear().envs(env.iter().copied());
    let r = qmail_e2e::feed(&mut c, msg);
    (r.exit(), [r.stdout, r.stderr].concat())
}

#[test]
fn never_affects_the_delivery() {
    let msg = b"Subject: hi\n\nbody\n";
    let full = [
        ("USER", "nobody-here"),
        ("SENDER", "a@b"),
        ("LOCAL", "nobody-here"),
    ];
    // No such login: nothing written anywhere, exit 0.
    assert_eq!(run(&full, msg), (0, Vec::new()));
    // Missing variables or an impossible user name: also a silent 0.
    assert_eq!(run(&full[1..], msg), (0, Vec::new()));
    let long = "x".repeat(33);
    assert_eq!(
        run(&[("USER", &long), ("SENDER", "a@b"), ("LOCAL", "x")], msg),
        (0, Vec::new())
    );
    assert_eq!(run(&full, &vec![b'x'; 1 << 20]), (0, Vec::new()));
}
