#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_maildir2mbox");

struct T {
    dir: PathBuf,
}

impl T {
    fn new(name: &str) -> T {
        let dir =
            std::env::temp_dir().join(format!("maildir2mbox-test.{name}.{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        for d in ["Maildir/new", "Maildir/cur", "Maildir/tmp"] {
            fs::create_dir_all(dir.join(d)).unwrap();
        }
        T { dir }
    }

    fn put(&self, name: &str, mtime: i64, body: &[u8]) {
        let p = self.dir.join("Maildir").join(name);
        fs::write(&p, body).unwrap();
        touch(&p, &["-m"], mtime);
    }

    fn run(&self, env: &[(&str, &str)]) -> (i32, String) {
        let out = Command::new(BIN)
            .current_dir(&self.dir)
            .env_clear()
            .envs(env.iter().copied())
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    }

    fn path(&self, p: &str) -> String {
        self.dir.join(p).display().to_string()
    }

    fn std_env(&self) -> Vec<(String, String)> {
        vec![
            ("MAILDIR".into(), self.path("Maildir")),
            ("MAIL".into(), self.path("mbox")),
            ("MAILTMP".into(), self.path("mbox.tmp")),
        ]
    }

    fn run_std(&self) -> (i32, String) {
        let env = self.std_env();
        let env: Vec<(&str, &str)> = env.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        self.run(&env)
    }

    fn files(&self, sub: &str) -> usize {
        fs::read_dir(self.dir.join("Maildir").join(sub))
            .unwrap()
            .count()
    }
}

impl Drop for T {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn touch(p: &Path, which: &[&str], t: i64) {
    let ok = Command::new("touch")
        .args(which)
        .arg("-d")
        .arg(format!("@{t}"))
        .arg(p)
        .status()
        .unwrap();
    assert!(ok.success());
}

const T1: i64 = 1_795_737_742; // Fri Nov 27 00:02:22 2026
const T2: i64 = 1_000_000_000; // Sun Sep 09 01:46:40 2001

#[test]
fn appends_messages_in_mtime_order_byte_exact() {
    let t = T::new("exact");
    fs::write(
        t.dir.join("mbox"),
        b"From old Thu Jan 01 00:00:00 1970\nold\n\n",
    )
    .unwrap();
    t.put("new/1.a.host", T1, b"Return-Path: <a b\tc@example.org>\nDelivered-To: x@y\n\nFrom here\n>From there\nno newline");
    t.put("cur/2.b.host:2,S", T2, b"Return-Path: <>\n\nbounce\n");
    t.put("new/3.c.host", T1 + 1, b"Subject: no return path\n\nbody\n");
    // Not yet: delivered "in the future" (this second or later).
    t.put("new/9.future.host", i64::from(i32::MAX), b"later\n");
    fs::write(t.dir.join("Maildir/new/.hidden"), b"x").unwrap();
    assert_eq!(t.run_std(), (0, String::new()));
    assert_eq!(
        String::from_utf8(fs::read(t.dir.join("mbox")).unwrap()).unwrap(),
        "From old Thu Jan 01 00:00:00 1970\nold\n\n\
From MAILER-DAEMON Sun Sep 09 01:46:40 2001\nReturn-Path: <>\n\nbounce\n\n\
From a-b-c@example.org Fri Nov 27 00:02:22 2026\nReturn-Path: <a b\tc@example.org>\nDelivered-To: x@y\n\n>From here\n>>From there\nno newline\n\n\
From XXX Fri Nov 27 00:02:23 2026\nSubject: no return path\n\nbody\n\n"
    );
    assert!(!t.dir.join("mbox.tmp").exists());
    assert_eq!(
        fs::metadata(t.dir.join("mbox"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    // Moved messages are gone, the future one and dot files stay.
    assert_eq!(t.files("new"), 2);
    assert_eq!(t.files("cur"), 0);
}

#[test]
fn creates_the_mbox_and_cleans_stale_tmp_files() {
    let t = T::new("create");
    t.put("new/1.a.host", T2, b"Return-Path: <s@x>\n\nhi\n");
    let stale = t.dir.join("Maildir/tmp/old.1.host");
    let fresh = t.dir.join("Maildir/tmp/fresh.1.host");
    fs::write(&stale, b"x").unwrap();
    fs::write(&fresh, b"x").unwrap();
    touch(&stale, &["-a"], T2);
    assert_eq!(t.run_std(), (0, String::new()));
    assert_eq!(
        fs::read(t.dir.join("mbox")).unwrap(),
        b"From s@x Sun Sep 09 01:46:40 2001\nReturn-Path: <s@x>\n\nhi\n\n"
    );
    assert!(!stale.exists());
    assert!(fresh.exists());
}

#[test]
fn nothing_new_leaves_mail_alone() {
    let t = T::new("empty");
    assert_eq!(t.run_std(), (0, String::new()));
    assert!(!t.dir.join("mbox").exists());
}

#[test]
fn failures_keep_the_maildir() {
    let t = T::new("fail");
    t.put("new/1.a.host", T2, b"x\n");
    let mut env = t.std_env();
    env.get_mut(2).unwrap().1 = t.path("no/such/dir/tmp");
    let env: Vec<(&str, &str)> = env.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(
        t.run(&env),
        (
            111,
            format!(
                "maildir2mbox: fatal: unable to create {}: file does not exist\n",
                t.path("no/such/dir/tmp")
            )
        )
    );
    assert_eq!(t.files("new"), 1);

    assert_eq!(
        t.run(&[]),
        (111, "maildir2mbox: fatal: MAIL not set\n".into())
    );
    assert_eq!(
        t.run(&[("MAIL", "m")]),
        (111, "maildir2mbox: fatal: MAILTMP not set\n".into())
    );
    assert_eq!(
        t.run(&[("MAIL", "m"), ("MAILTMP", "t")]),
        (111, "maildir2mbox: fatal: MAILDIR not set\n".into())
    );
    assert_eq!(
        t.run(&[("MAIL", "m"), ("MAILTMP", "t"), ("MAILDIR", "/nonexistent")]),
        (
            111,
            "maildir2mbox: fatal: unable to chdir to /nonexistent: file does not exist\n".into()
        )
    );
}

#[test]
fn waits_for_the_mbox_lock() {
    let t = T::new("lock");
    t.put("new/1.a.host", T2, b"x\n");
    fs::write(t.dir.join("mbox"), b"").unwrap();
    // flock(1) holds the lock for a second; maildir2mbox must wait for it.
    let mut holder = Command::new("flock")
        .arg(t.dir.join("mbox"))
        .args(["-c", "sleep 1"])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let start = std::time::Instant::now();
    assert_eq!(t.run_std(), (0, String::new()));
    assert!(start.elapsed() >= std::time::Duration::from_millis(500));
    holder.wait().unwrap();
    assert_eq!(t.files("new"), 0);
}
