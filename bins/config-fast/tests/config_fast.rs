//! Black-box: config-fast writes into $DESTDIR + the qmail home.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_config-fast");

#[test]
fn writes_and_appends() {
    let top = std::env::temp_dir().join(format!("config-fast-{}", std::process::id()));
    let _ = fs::remove_dir_all(&top);
    let control = top
        .join(qmail_core::auto::QMAIL.trim_start_matches('/'))
        .join("control");
    // no control directory: a temporary failure
    let o = Command::new(BIN)
        .env("DESTDIR", &top)
        .arg("mail.example.com")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(111));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.starts_with(&format!(
            "config-fast: fatal: unable to write {}/me: ",
            control.display()
        )),
        "{err}"
    );
    fs::create_dir_all(&control).unwrap();
    fs::write(control.join("locals"), "localhost\n").unwrap();

    let o = Command::new(BIN)
        .env("DESTDIR", &top)
        .arg("mail.example.com")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.contains("Putting mail.example.com into control/me...\n"),
        "{out}"
    );
    let read = |n: &str| fs::read_to_string(control.join(n)).unwrap();
    assert_eq!(read("me"), "mail.example.com\n");
    assert_eq!(read("defaultdomain"), "example.com\n");
    assert_eq!(read("plusdomain"), "example.com\n");
    assert_eq!(read("locals"), "localhost\nmail.example.com\n");
    assert_eq!(read("rcpthosts"), "mail.example.com\n");
    for n in ["me", "defaultdomain", "plusdomain", "locals", "rcpthosts"] {
        assert_eq!(
            fs::metadata(control.join(n)).unwrap().mode() & 0o7777,
            0o644,
            "{n}"
        );
    }

    let o = Command::new(BIN)
        .env("DESTDIR", &top)
        .arg("a.b.c.d")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(read("me"), "a.b.c.d\n");
    assert_eq!(read("defaultdomain"), "b.c.d\n");
    assert_eq!(read("plusdomain"), "c.d\n");
    assert_eq!(read("rcpthosts"), "mail.example.com\na.b.c.d\n");
    fs::remove_dir_all(&top).unwrap();
}

#[test]
fn usage() {
    for args in [&[][..], &["a", "b"][..], &[""][..]] {
        let o = Command::new(BIN).args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(100), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&o.stderr),
            "config-fast: usage: config-fast fqdn\n"
        );
    }
}
