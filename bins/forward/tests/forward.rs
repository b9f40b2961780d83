#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_forward");

/// A scratch directory with a fake qmail-queue that records message, envelope and pid.
struct Qq {
    dir: PathBuf,
}

impl Qq {
    fn new(name: &str, exit: u8) -> Qq {
        let dir = std::env::temp_dir().join(format!("forward-test.{name}.{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let script = dir.join("qq");
        let d = dir.display();
        fs::write(
            &script,
            format!(
                "#!/bin/sh\necho $$ > {d}/pid\ncat > {d}/mess\ncat 0<&1 > {d}/env\nexit {exit}\n"
            ),
        )
        .unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        Qq { dir }
    }

    fn read(&self, f: &str) -> Vec<u8> {
        fs::read(self.dir.join(f)).unwrap()
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)], msg: &[u8]) -> (i32, String) {
        let mut c = Command::new(BIN);
        c.args(args)
            .env_clear()
            .env("QMAILQUEUE", self.dir.join("qq"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            c.env(k, v);
        }
        let mut child = c.spawn().unwrap();
        let _ = child.stdin.take().unwrap().write_all(msg);
        let out = child.wait_with_output().unwrap();
        assert!(out.stdout.is_empty());
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for Qq {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

const ENV: &[(&str, &str)] = &[
    ("NEWSENDER", "list-owner@example.com"),
    ("SENDER", "someone@example.org"),
    ("DTLINE", "Delivered-To: joe-fwd@example.com\n"),
];

#[test]
fn queues_dtline_and_message_from_newsender() {
    let qq = Qq::new("ok", 0);
    let (code, err) = qq.run(
        &["a@example.net", "b@example.net"],
        ENV,
        b"Subject: x\n\nbody\n",
    );
    let pid = String::from_utf8(qq.read("pid")).unwrap();
    assert_eq!((code, err), (0, format!("forward: qp {pid}")));
    assert_eq!(
        qq.read("mess"),
        b"Delivered-To: joe-fwd@example.com\nSubject: x\n\nbody\n"
    );
    assert_eq!(
        qq.read("env"),
        b"Flist-owner@example.com\0Ta@example.net\0Tb@example.net\0\0"
    );
}

#[test]
fn starts_at_the_current_offset_of_stdin() {
    let qq = Qq::new("offset", 0);
    let msg = qq.dir.join("msg");
    fs::write(&msg, b"skipped\nkept\n").unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{{ read x; exec {BIN} c@example.net; }} < {}",
            msg.display()
        ))
        .env_clear()
        .envs(ENV.iter().copied())
        .env("QMAILQUEUE", qq.dir.join("qq"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        qq.read("mess"),
        b"Delivered-To: joe-fwd@example.com\nkept\n"
    );
}

#[test]
fn queue_failures() {
    let qq = Qq::new("perm", 31);
    assert_eq!(
        qq.run(&["a@example.net"], ENV, b"x\n"),
        (
            100,
            "forward: fatal: mail server permanently rejected message (#5.3.0)\n".into()
        )
    );
    let qq = Qq::new("temp", 53);
    assert_eq!(
        qq.run(&["a@example.net"], ENV, b"x\n"),
        (
            111,
            "forward: fatal: qq write error or disk full (#4.3.0)\n".into()
        )
    );
}

#[test]
fn needs_newsender_and_dtline() {
    let qq = Qq::new("env", 0);
    assert_eq!(
        qq.run(&["a@example.net"], &[("DTLINE", "x\n")], b"x\n"),
        (100, "forward: fatal: NEWSENDER not set\n".into())
    );
    assert_eq!(
        qq.run(&["a@example.net"], &[("NEWSENDER", "x")], b"x\n"),
        (100, "forward: fatal: DTLINE not set\n".into())
    );
    assert!(!qq.dir.join("mess").exists());
}
