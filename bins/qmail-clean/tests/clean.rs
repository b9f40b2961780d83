//! Black-box tests: the real binary, run as root in a private mount namespace where a
//! temporary directory is bind-mounted over the hard-wired qmail home.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use qmail_e2e::{feed, Home};

const BIN: &str = env!("CARGO_BIN_EXE_qmail-clean");

fn tempdir(tag: &str) -> Home {
    Home::new(&format!("qmail-clean-{tag}"))
}

fn make_queue(home: &Home) -> PathBuf {
    for d in ["pid", "intd", "todo", "mess/5"] {
        home.mkdir(Path::new("queue").join(d));
    }
    home.path("queue")
}

/// Run qmail-clean with `home` as /var/qmail; returns (exit code, stdout).
fn clean(home: &Home, input: &[u8]) -> (i32, Vec<u8>) {
    let r = feed(&mut home.command(BIN), input);
    (r.exit(), r.stdout)
}

fn touch(p: &Path) {
    std::fs::write(p, b"x").unwrap();
}

#[test]
fn foop_and_todo_remove_their_files() {
    let home = tempdir("ft");
    let q = make_queue(&home);
    touch(&q.join("intd/28"));
    touch(&q.join("mess/5/28"));
    touch(&q.join("todo/28"));
    touch(&q.join("todo/51"));
    touch(&q.join("intd/51"));
    let (code, out) = clean(&home, b"foop/28\0todo/51\0todo/999\0");
    assert_eq!(code, 0);
    assert_eq!(out, b"+++");
    assert!(!q.join("intd/28").exists());
    assert!(!q.join("mess/5/28").exists());
    assert!(q.join("todo/28").exists(), "foop leaves todo alone");
    assert!(!q.join("todo/51").exists());
    assert!(!q.join("intd/51").exists());
}

#[test]
fn malformed_requests_get_one_x_each_and_remove_nothing() {
    let home = tempdir("x");
    let q = make_queue(&home);
    touch(&q.join("todo/12"));
    let long = [b"todo/".as_slice(), &[b'1'; 200], b"\0"].concat();
    let input = [
        b"todo/1x2\0".as_slice(),
        b"mess/12\0",
        b"todo/\0",
        &long,
        b"todo/12\0",
    ]
    .concat();
    let (code, out) = clean(&home, &input);
    assert_eq!(code, 0);
    assert_eq!(out, b"xxxx+");
    assert!(!q.join("todo/12").exists());
}

#[test]
fn unlink_failure_is_bang() {
    let home = tempdir("bang");
    let q = make_queue(&home);
    std::fs::create_dir_all(q.join("todo/77/sub")).unwrap();
    let (code, out) = clean(&home, b"todo/77\0");
    assert_eq!((code, out.as_slice()), (0, b"!".as_slice()));
}

#[test]
fn stale_pid_files_are_swept_at_start() {
    let home = tempdir("pid");
    let q = make_queue(&home);
    let old = q.join("pid/100.1.1");
    let fresh = q.join("pid/101.2.1");
    touch(&old);
    touch(&fresh);
    let now = qmail_core::date822::now();
    let then = nix::sys::time::TimeSpec::new(now - qmail_clean::OSSIFIED - 5, 0);
    nix::sys::stat::utimensat(
        None,
        &old,
        &then,
        &then,
        nix::sys::stat::UtimensatFlags::NoFollowSymlink,
    )
    .unwrap();
    assert!(std::fs::metadata(&old).unwrap().atime() < now - qmail_clean::OSSIFIED);
    let (code, out) = clean(&home, b"");
    assert_eq!((code, out.as_slice()), (0, b"".as_slice()));
    assert!(!old.exists());
    assert!(fresh.exists());
}

#[test]
fn missing_queue_is_111() {
    let home = tempdir("noq");
    let (code, _) = clean(&home, b"todo/1\0");
    assert_eq!(code, 111);
}

#[test]
fn reply_write_failure_is_100() {
    let home = tempdir("epipe");
    make_queue(&home);
    let mut child = home
        .command(BIN)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.stdin.take().unwrap().write_all(b"todo/1\0").unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(100));
}
