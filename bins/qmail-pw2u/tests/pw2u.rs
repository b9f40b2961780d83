//! qmail-pw2u run for real, with a temporary qmail home bind-mounted in a private mount
//! namespace (the home is fixed at build time).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use qmail_core::auto;

const BIN: &str = env!("CARGO_BIN_EXE_qmail-pw2u");

struct Tmp(PathBuf);
impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn home(name: &str) -> Tmp {
    let d = PathBuf::from(format!(
        "/tmp/qmail-pw2u-test.{}.{name}",
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(d.join("users")).unwrap();
    Tmp(d)
}

fn pw2u(t: &Tmp, args: &str, passwd: &str) -> (i32, String, String) {
    fs::create_dir_all(auto::QMAIL).unwrap();
    let script = format!(
        "mount --bind {} {} && exec {BIN} {args}",
        t.0.display(),
        auto::QMAIL
    );
    let mut child = Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(passwd.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const PASSWD: &str = "root:x:0:0::/root:/bin/sh\nalias:x:900:901::/nonexistent-a:/bin/true\njoe:x:1000:1000::/nonexistent-j:/bin/sh\n";

#[test]
fn assign_from_passwd_and_users_files() {
    let t = home("ok");
    fs::write(t.0.join("users/mailnames"), "joe:joe:Joe.Smith\n").unwrap();
    fs::write(t.0.join("users/append"), "=x:joe:1:1:/x:::\n").unwrap();
    let (code, out, err) = pw2u(&t, "-H", PASSWD);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        out,
        "+:alias:900:901:/nonexistent-a:-::\n=alias:alias:900:901:/nonexistent-a:::\n\
         +alias-:alias:900:901:/nonexistent-a:-::\n=joe:joe:1000:1000:/nonexistent-j:::\n\
         +joe-:joe:1000:1000:/nonexistent-j:-::\n=Joe.Smith:joe:1000:1000:/nonexistent-j:::\n\
         +Joe.Smith-:joe:1000:1000:/nonexistent-j:-::\n=x:joe:1:1:/x:::\n.\n"
    );
}

#[test]
fn home_checks_and_usage() {
    let t = home("checks");
    // -o (default): accounts without their home are skipped, so no alias user remains
    let (code, out, err) = pw2u(&t, "", PASSWD);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (111, "", "qmail-pw2u: fatal: unable to find alias user\n")
    );
    let (code, _, err) = pw2u(&t, "-h", PASSWD);
    assert_eq!(
        (code, err.as_str()),
        (111, "qmail-pw2u: fatal: unable to stat /nonexistent-a\n")
    );
    let (code, _, err) = pw2u(&t, "-q", PASSWD);
    assert_eq!(
        (code, err.as_str()),
        (
            100,
            "qmail-pw2u: usage: qmail-pw2u [ -/ohHuUC ] [ -cchar ]\n"
        )
    );
}
