//! Edge cases of the control-file reader on real files (qmail-control(5)).
// Test helpers may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use qmail_core::control::{self, ControlError, Me};
use qmail_e2e::TempDir;

fn entries(v: &[&[u8]]) -> Vec<Vec<u8>> {
    v.iter().map(|l| l.to_vec()).collect()
}

#[test]
fn missing_file_gives_default() {
    let d = TempDir::new("qmail-core-control-missing");
    let p = d.join("nope");
    assert_eq!(control::readline(&p).unwrap(), None);
    assert_eq!(
        control::rldef(&p, b"default.example").unwrap(),
        b"default.example"
    );
    assert_eq!(control::readint(&p, 20).unwrap(), 20);
    assert_eq!(control::readfile(&p).unwrap(), None);
    assert_eq!(control::readbytes(&p).unwrap(), None);
}

#[test]
fn dangling_symlink_counts_as_missing() {
    let d = TempDir::new("qmail-core-control-dangling");
    let p = d.join("link");
    std::os::unix::fs::symlink(d.join("target"), &p).unwrap();
    assert_eq!(control::rldef(&p, b"dflt").unwrap(), b"dflt");
    let target = d.write("target", b"real\n");
    assert_eq!(
        control::readline(&p).unwrap().as_deref(),
        Some(&b"real"[..])
    );
    drop(target);
}

#[test]
fn single_line_keeps_leading_and_strips_trailing_white_space() {
    let d = TempDir::new("qmail-core-control-line");
    let p = d.write("me", b"  host.example \t \r\nsecond line\n");
    assert_eq!(
        control::readline(&p).unwrap().as_deref(),
        Some(&b"  host.example"[..])
    );
    let p = d.write("nonl", b"host.example");
    assert_eq!(control::rldef(&p, b"x").unwrap(), b"host.example");
    let p = d.write("empty", b"");
    assert_eq!(
        control::rldef(&p, b"x").unwrap(),
        b"",
        "an empty file is not missing"
    );
    let p = d.write("blankfirst", b"\nsecond\n");
    assert_eq!(control::rldef(&p, b"x").unwrap(), b"");
}

#[test]
fn crlf_lines_are_stripped() {
    let d = TempDir::new("qmail-core-control-crlf");
    let p = d.write("rcpthosts", b"example.com\r\nexample.org\r\n\r\n#c\r\n");
    assert_eq!(
        control::readfile(&p).unwrap(),
        Some(entries(&[b"example.com", b"example.org"]))
    );
    let p = d.write("concurrency", b"42\r\n");
    assert_eq!(control::readint(&p, 10).unwrap(), 42);
}

#[test]
fn list_skips_comments_and_empty_lines_only_at_column_one() {
    let d = TempDir::new("qmail-core-control-list");
    let p = d.write(
        "locals",
        b"# comment\nlocalhost\n\n   \n\t\nhost.example \t\n  #indented\nno-newline",
    );
    assert_eq!(
        control::readfile(&p).unwrap(),
        Some(entries(&[
            b"localhost",
            b"host.example",
            b"  #indented",
            b"no-newline"
        ]))
    );
    let p = d.write("nul", b"a\0b\n");
    assert_eq!(control::readfile(&p).unwrap(), Some(entries(&[b"a\0b"])));
}

#[test]
fn integer_file_with_junk() {
    let d = TempDir::new("qmail-core-control-int");
    for (contents, want) in [
        (&b"120junk\n"[..], 120u64),
        (b"junk\n", 7),
        (b" 5\n", 7),
        (b"-5\n", 7),
        (b"\n5\n", 7),
        (b"", 7),
        (b"0\n", 0),
        (b"007", 7),
        (b"99999999999999999999999\n", 7),
        (b"18446744073709551615\n", u64::MAX),
        (b"60 \t\r\n", 60),
    ] {
        let p = d.write("timeoutsmtpd", contents);
        assert_eq!(control::readint(&p, 7).unwrap(), want, "{contents:?}");
    }
}

#[test]
fn directory_is_an_error_not_a_default() {
    let d = TempDir::new("qmail-core-control-dir");
    let p = d.join("subdir");
    std::fs::create_dir(&p).unwrap();
    assert!(matches!(control::readline(&p), Err(ControlError::NotFile(ref q)) if *q == p));
    assert!(control::readint(&p, 1).is_err());
    assert!(control::readfile(&p).is_err());
    let e = control::rldef(&p, b"x").unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("unable to read {}: not a regular file", p.display())
    );
}

/// Run `f` on another thread; fail instead of hanging if it does not return in time.
fn within<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(5))
        .expect("control reader hung")
}

fn fifo(dir: &Path) -> PathBuf {
    let p = dir.join("fifo");
    nix::unistd::mkfifo(&p, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    p
}

#[test]
fn fifo_does_not_hang_the_reader() {
    let d = TempDir::new("qmail-core-control-fifo");
    let p = fifo(&d);
    let q = p.clone();
    let r = within(move || control::readline(&q));
    assert!(matches!(r, Err(ControlError::NotFile(_))), "{r:?}");
    let q = p.clone();
    assert!(within(move || control::readint(&q, 3)).is_err());
    let q = p.clone();
    assert!(within(move || control::readfile(&q)).is_err());
}

#[test]
fn me_supplies_defaults() {
    let d = TempDir::new("qmail-core-control-me");
    let me = Me(Some(b"host.example".to_vec()));
    assert_eq!(
        me.rldef(d.join("helohost"), b"fallback").unwrap(),
        b"host.example"
    );
    let p = d.write("helohost", b"helo.example\n");
    assert_eq!(me.rldef(&p, b"fallback").unwrap(), b"helo.example");
    let none = Me(None);
    assert_eq!(
        none.rldef(d.join("missing"), b"fallback").unwrap(),
        b"fallback"
    );
}
