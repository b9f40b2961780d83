#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_condredirect");
const MSG: &[u8] = b"Subject: please REDIRECT\n\nbody\n";

/// A scratch directory with the message as a seekable file and a fake qmail-queue that
/// records message, envelope and pid.
struct T {
    dir: PathBuf,
}

impl T {
    fn new(name: &str, qq_exit: u8) -> T {
        let dir =
            std::env::temp_dir().join(format!("condredirect-test.{name}.{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let d = dir.display();
        let script = dir.join("qq");
        fs::write(
            &script,
            format!("#!/bin/sh\necho $$ > {d}/pid\ncat > {d}/mess\ncat 0<&1 > {d}/env\nexit {qq_exit}\n"),
        )
        .unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(dir.join("msg"), MSG).unwrap();
        T { dir }
    }

    fn read(&self, f: &str) -> Vec<u8> {
        fs::read(self.dir.join(f)).unwrap()
    }

    fn queued(&self) -> bool {
        self.dir.join("mess").exists()
    }

    fn run(&self, args: &[&str]) -> (i32, String) {
        let out = Command::new(BIN)
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("QMAILQUEUE", self.dir.join("qq"))
            .env("SENDER", "bounces@example.org")
            .env("NEWSENDER", "owner@example.com")
            .env("DTLINE", "Delivered-To: joe-cond@example.com\n")
            .stdin(Stdio::from(fs::File::open(self.dir.join("msg")).unwrap()))
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    }
}

impl Drop for T {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn program_success_forwards_the_whole_message_and_exits_99() {
    let t = T::new("yes", 0);
    // grep reads all of fd 0; condredirect must rewind before queueing.
    let (code, out) = t.run(&["new@example.net", "grep", "-q", "REDIRECT"]);
    let pid = String::from_utf8(t.read("pid")).unwrap();
    assert_eq!((code, out), (99, format!("condredirect: qp {pid}")));
    let mut want = b"Delivered-To: joe-cond@example.com\n".to_vec();
    want.extend_from_slice(MSG);
    assert_eq!(t.read("mess"), want);
    // The sender is SENDER, not NEWSENDER.
    assert_eq!(t.read("env"), b"Fbounces@example.org\0Tnew@example.net\0\0");
}

#[test]
fn program_failure_lets_the_dot_qmail_go_on() {
    let t = T::new("no", 0);
    assert_eq!(
        t.run(&["new@example.net", "grep", "-q", "NOTHERE"]),
        (0, String::new())
    );
    assert_eq!(
        t.run(&["new@example.net", "sh", "-c", "exit 100"]),
        (0, String::new())
    );
    assert_eq!(
        t.run(&["new@example.net", "/nonexistent/program"]),
        (0, String::new())
    );
    assert!(!t.queued());
}

#[test]
fn program_output_passes_through() {
    let t = T::new("out", 0);
    assert_eq!(
        t.run(&["new@example.net", "sh", "-c", "echo hello; exit 1"]),
        (0, "hello\n".into())
    );
}

#[test]
fn temporary_failures() {
    let t = T::new("temp", 0);
    assert_eq!(
        t.run(&["new@example.net", "sh", "-c", "exit 111"]),
        (111, "condredirect: fatal: temporary child error\n".into())
    );
    assert_eq!(
        t.run(&["new@example.net", "sh", "-c", "kill -9 $$"]),
        (111, "condredirect: fatal: child crashed\n".into())
    );
    assert!(!t.queued());
}

#[test]
fn queue_failure_after_a_yes() {
    let t = T::new("qqfail", 31);
    assert_eq!(
        t.run(&["new@example.net", "true"]),
        (
            100,
            "condredirect: fatal: mail server permanently rejected message (#5.3.0)\n".into()
        )
    );
    let t = T::new("qqtemp", 71);
    assert_eq!(t.run(&["new@example.net", "true"]).0, 111);
}

#[test]
fn usage() {
    let t = T::new("usage", 0);
    let u = "condredirect: usage: condredirect newaddress program [ arg ... ]\n";
    assert_eq!(t.run(&[]), (100, u.into()));
    assert_eq!(t.run(&["new@example.net"]), (100, u.into()));
}
