#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_maildirwatch");

/// Start maildirwatch, read until the first screen is complete (`end` seen), stop it.
fn first_screen(dir: &std::path::Path, end: &[u8]) -> Vec<u8> {
    let mut child = Command::new(BIN)
        .env_clear()
        .env("MAILDIR", dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut got = Vec::new();
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    while !got.windows(end.len()).any(|w| w == end) && start.elapsed() < Duration::from_secs(10) {
        let n = out.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    child.kill().unwrap();
    child.wait().unwrap();
    got
}

fn host() -> String {
    String::from_utf8(Command::new("hostname").output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn shows_new_messages_oldest_first() {
    let dir = std::env::temp_dir().join(format!("maildirwatch-test.{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    for d in ["new", "cur", "tmp"] {
        fs::create_dir_all(dir.join(d)).unwrap();
    }
    fs::write(
        dir.join("new/2.b.h"),
        "From: Bob <b@x>\nSubject: second\n\nbody\n",
    )
    .unwrap();
    fs::write(
        dir.join("new/1.a.h"),
        "subject: first\x01\nFROM: ann@x\n\nFrom: not header\n",
    )
    .unwrap();
    fs::write(dir.join("cur/3.c.h:2,S"), "From: old@x\n\n").unwrap();
    for (f, t) in [("new/1.a.h", "@1000000000"), ("new/2.b.h", "@1000000001")] {
        assert!(Command::new("touch")
            .args(["-m", "-d", t])
            .arg(dir.join(f))
            .status()
            .unwrap()
            .success());
    }
    let got = first_screen(&dir, b"Subject: second\n");
    assert_eq!(
        String::from_utf8(got).unwrap(),
        format!(
            "\x1b[;H\x1b[;J{}: 2 new messages\n\nFROM: ann@x\nsubject: first?\n\nFrom: Bob <b@x>\nSubject: second\n",
            host()
        )
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bounded_and_failures() {
    let dir = std::env::temp_dir().join(format!("maildirwatch-many.{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("new")).unwrap();
    for i in 0..25 {
        fs::write(
            dir.join(format!("new/{i}.x.h")),
            format!("Subject: {}\n\n", "s".repeat(200)),
        )
        .unwrap();
    }
    let got = String::from_utf8(first_screen(&dir, b"and 5 more\n")).unwrap();
    assert!(got.contains(": 25 new messages\n"), "{got}");
    assert!(got.ends_with("\n... and 5 more\n"), "{got}");
    assert_eq!(got.matches("Subject: ").count(), 20);
    assert!(got.lines().all(|l| l.len() <= 79 + 6), "{got}");
    fs::remove_dir_all(&dir).unwrap();

    let out = Command::new(BIN).env_clear().output().unwrap();
    assert_eq!(out.status.code(), Some(111));
    assert_eq!(out.stderr, b"maildirwatch: fatal: MAILDIR not set\n");
    let out = Command::new(BIN)
        .env_clear()
        .env("MAILDIR", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(111));
    assert_eq!(
        out.stderr,
        b"maildirwatch: fatal: unable to chdir to /nonexistent: file does not exist\n"
    );
}
