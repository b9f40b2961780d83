//! Black-box: qmail-pop3d on its own, over pipes, as an unprivileged uid (setpriv) and as
//! root. Needs root and setpriv.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use nix::sys::time::TimeVal;
use qmail_e2e::TempDir;

const UID: u32 = 43_211;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn maildir(tag: &str) -> TempDir {
    let d = TempDir::new(&format!("pop3d-{tag}"));
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(d.join("Maildir").join(sub)).unwrap();
    }
    d
}

fn age(path: &std::path::Path, atime: i64, mtime: i64) {
    let a = TimeVal::new(now() - atime, 0);
    let m = TimeVal::new(now() - mtime, 0);
    nix::sys::stat::utimes(path, &a, &m).unwrap();
}

/// (exit code, stdout, stderr) of qmail-pop3d `args` in `cwd`, as UID unless `root`.
fn pop3d(cwd: &std::path::Path, root: bool, args: &[&str], input: &[u8]) -> (i32, String, String) {
    let bin = env!("CARGO_BIN_EXE_qmail-pop3d");
    let mut c = if root {
        Command::new(bin)
    } else {
        let _ = Command::new("chown")
            .args(["-R", &format!("{UID}:{UID}"), cwd.to_str().unwrap()])
            .status();
        let mut c = Command::new("setpriv");
        c.args([
            &format!("--reuid={UID}"),
            &format!("--regid={UID}"),
            "--clear-groups",
            "--",
            bin,
        ]);
        c
    };
    qmail_e2e::feed(c.args(args).current_dir(cwd), input).texts()
}

#[test]
fn refuses_root() {
    let d = maildir("root");
    let r = pop3d(&d, true, &["Maildir"], b"STAT\r\n");
    assert_eq!(
        r,
        (
            1,
            String::new(),
            "qmail-pop3d invoked as uid 0, terminating\n".to_string()
        )
    );
}

#[test]
fn no_maildir() {
    let d = maildir("nomd");
    let msg = "-ERR this user has no $HOME/Maildir\r\n".to_string();
    assert_eq!(
        pop3d(&d, false, &["Nowhere"], b""),
        (0, msg.clone(), String::new())
    );
    assert_eq!(pop3d(&d, false, &[], b""), (0, msg, String::new()));
    std::fs::remove_dir(d.join("Maildir/cur")).unwrap();
    assert_eq!(
        pop3d(&d, false, &["Maildir"], b""),
        (
            0,
            "-ERR unable to scan $HOME/Maildir\r\n".to_string(),
            String::new()
        )
    );
}

#[test]
fn tmp_sweep_future_messages_and_eof() {
    let d = maildir("sweep");
    let md = d.join("Maildir");
    for (name, atime, mtime) in [
        ("tmp/old", 37 * 3600, 37 * 3600),
        ("tmp/recent", 35 * 3600, 37 * 3600),
        ("new/future", -100, -100),
        ("new/.hidden", 50, 50),
        ("new/b", 50, 50),
        ("cur/a:2,", 60, 60),
    ] {
        std::fs::write(md.join(name), b"x\n").unwrap();
        age(&md.join(name), atime, mtime);
    }
    std::fs::create_dir(md.join("new/dir")).unwrap();
    age(&md.join("new/dir"), 100, 100);
    // EOF without QUIT: nothing deleted, nothing moved.
    let (code, out, _) = pop3d(&d, false, &["Maildir"], b"UIDL\r\nDELE 1\r\nDELE 2\r\n");
    assert_eq!(code, 0);
    assert_eq!(out, "+OK \r\n+OK \r\n1 a\r\n2 b\r\n.\r\n+OK \r\n+OK \r\n");
    assert!(!md.join("tmp/old").exists());
    assert!(md.join("tmp/recent").exists());
    assert!(md.join("cur/a:2,").exists() && md.join("new/b").exists());
    assert!(md.join("new/future").exists() && md.join("new/.hidden").exists());
}
