//! qmail-newu run for real, with a temporary directory bind-mounted over the qmail home in
//! a private mount namespace (the home is fixed at build time).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use qmail_core::cdb::Cdb;
use qmail_e2e::Home;

const BIN: &str = env!("CARGO_BIN_EXE_qmail-newu");

fn home(name: &str) -> Home {
    let h = Home::new(&format!("qmail-newu-{name}"));
    h.mkdir("users");
    h
}

/// Run qmail-newu with `dir` as the qmail home: (exit code, stderr).
fn newu(dir: &Home) -> (i32, String) {
    let r = qmail_e2e::run(dir.command(BIN).current_dir("/"));
    (r.exit(), r.stderr_str())
}

#[test]
fn builds_cdb_from_assign() {
    let t = home("ok");
    fs::write(
        t.join("users/assign"),
        "=exact:u:1:2:/h:-:viaassign:\n+wild:u:1:2:/h:-:wild-:\n+wildlonger:u:1:2:/h:-:viaassign-:\n=u:u:1:2:/h:::\n+u-:u:1:2:/h:-::\n.\nignored after the dot\n",
    )
    .unwrap();
    assert_eq!(newu(&t), (0, String::new()));
    let cdbpath = t.join("users/cdb");
    let meta = fs::metadata(&cdbpath).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o644);
    assert_eq!(meta.uid(), 0);
    assert!(!t.join("users/cdb.tmp").exists());
    let cdb = Cdb::open(&cdbpath).unwrap();
    assert_eq!(
        cdb.find(b"!exact\0").unwrap().unwrap(),
        b"u\x001\x002\0/h\0-\0viaassign"
    );
    assert_eq!(
        cdb.find(b"!wild").unwrap().unwrap(),
        b"u\x001\x002\0/h\0-\0wild-"
    );
    assert_eq!(
        cdb.find(b"!wildlonger").unwrap().unwrap(),
        b"u\x001\x002\0/h\0-\0viaassign-"
    );
    assert_eq!(cdb.find(b"!u\0").unwrap().unwrap(), b"u\x001\x002\0/h\0\0");
    assert_eq!(cdb.find(b"!u-").unwrap().unwrap(), b"u\x001\x002\0/h\0-\0");
    assert_eq!(cdb.find(b"").unwrap().unwrap(), b"dr-");
    assert_eq!(cdb.find(b"!exact").unwrap(), None);
    assert_eq!(cdb.find(b"!ignored after the dot\0").unwrap(), None);
}

#[test]
fn bad_format_leaves_cdb_alone() {
    let t = home("bad");
    fs::write(t.join("users/cdb"), "old").unwrap();
    let fatal = "qmail-newu: fatal: bad format in users/assign\n".to_string();
    fs::write(
        t.join("users/assign"),
        "=broken line without enough colons:x\n.\n",
    )
    .unwrap();
    assert_eq!(newu(&t), (111, fatal.clone()));
    fs::write(t.join("users/assign"), "=a:b:1:1:/x:::\n").unwrap();
    assert_eq!(newu(&t), (111, fatal));
    assert_eq!(fs::read(t.join("users/cdb")).unwrap(), b"old");
}

#[test]
fn missing_assign_is_fatal() {
    let t = home("missing");
    let (code, err) = newu(&t);
    assert_eq!(code, 111);
    assert!(
        err.starts_with("qmail-newu: fatal: unable to open users/assign: "),
        "{err}"
    );
}
