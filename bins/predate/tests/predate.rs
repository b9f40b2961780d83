//! predate black-box: the Date line, stdin passing, exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::Write;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_predate");

fn predate(tz: Option<&str>, args: &[&str], input: &[u8]) -> (String, String, Option<i32>) {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match tz {
        Some(t) => cmd.env("TZ", t),
        None => cmd.env_remove("TZ"),
    };
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let o = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        o.status.code(),
    )
}

fn date_ok(line: &str, zone: &str) -> bool {
    let p: Vec<&str> = line.split(' ').collect();
    p.len() == 6 && p[0] == "Date:" && !p[1].starts_with('0') && p[4].len() == 8 && p[5] == zone
}

#[test]
fn date_then_input() {
    let (out, err, rc) = predate(Some("UTC"), &["cat"], b"Subject: x\n\nbody\n");
    let (first, rest) = out.split_once('\n').unwrap();
    assert!(date_ok(first, "+0000"), "{first}");
    assert_eq!(rest, "Subject: x\n\nbody\n");
    assert_eq!((err.as_str(), rc), ("", Some(0)));
}

#[test]
fn local_zone_offset() {
    // Zone names need tzdata (tests/packages installs it); a missing file is a failure here,
    // never a silent pass.
    for f in ["Asia/Kolkata", "America/Sao_Paulo"] {
        let p = std::path::Path::new("/usr/share/zoneinfo").join(f);
        assert!(p.exists(), "{} is missing: install tzdata", p.display());
    }
    let (out, _, _) = predate(Some("Asia/Kolkata"), &["cat"], b"");
    assert!(date_ok(out.trim_end(), "+0530"), "{out}");
    let (out, _, _) = predate(Some(":America/Sao_Paulo"), &["cat"], b"");
    assert!(date_ok(out.trim_end(), "-0300"), "{out}");
}

#[test]
fn exit_codes() {
    assert_eq!(
        predate(None, &["sh", "-c", "cat >/dev/null; exit 3"], b"x").2,
        Some(3)
    );
    let (_, err, rc) = predate(None, &["sh", "-c", "kill -9 $$"], b"");
    assert_eq!(
        (err.as_str(), rc),
        ("predate: fatal: child crashed\n", Some(111))
    );
    let (_, err, rc) = predate(None, &[], b"");
    assert_eq!(
        (err.as_str(), rc),
        ("predate: usage: predate child\n", Some(100))
    );
    let (_, err, rc) = predate(None, &["/nonexistent/x"], b"");
    assert_eq!(
        (err.as_str(), rc),
        (
            "predate: fatal: unable to run /nonexistent/x: file does not exist\n",
            Some(111)
        )
    );
}
