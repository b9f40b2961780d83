#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_qbiff");

fn run(env: &[(&str, &str)], msg: &[u8]) -> (i32, Vec<u8>) {
    let mut child = Command::new(BIN)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(msg);
    let out = child.wait_with_output().unwrap();
    let mut all = out.stdout;
    all.extend(out.stderr);
    (out.status.code().unwrap_or(-1), all)
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
