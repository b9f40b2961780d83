#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_maildirmake");

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn makes_a_maildir_and_refuses_to_remake_it() {
    let base = format!("/tmp/maildirmake-test.{}", std::process::id());
    let _ = fs::remove_dir_all(&base);
    fs::create_dir(&base).unwrap();
    let md = format!("{base}/Maildir");
    assert_eq!(run(&[&md]), (0, String::new()));
    for d in ["", "/tmp", "/new", "/cur"] {
        let m = fs::metadata(format!("{md}{d}")).unwrap();
        assert!(m.is_dir());
        assert_eq!(m.permissions().mode() & 0o7777, 0o700, "{d}");
    }
    assert_eq!(fs::read_dir(&md).unwrap().count(), 3);
    let (code, err) = run(&[&md]);
    assert_eq!(code, 111);
    assert_eq!(
        err,
        format!("maildirmake: fatal: unable to mkdir {md}: file already exists\n")
    );
    fs::remove_dir_all(&base).unwrap();
}

#[test]
fn usage() {
    assert_eq!(
        run(&[]),
        (100, "maildirmake: usage: maildirmake name\n".to_string())
    );
}
