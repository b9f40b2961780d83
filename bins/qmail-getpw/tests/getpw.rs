//! qmail-getpw against the real passwd database, with a test account created on demand.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::os::unix::fs::chown;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_qmail-getpw");
const USER: &str = "qlgetpw";
const HOME: &str = "/tmp/qlgetpw.home";

fn account() -> (u32, u32) {
    if nix::unistd::User::from_name(USER).unwrap().is_none() {
        let _ = Command::new("useradd")
            .args(["-M", "-d", HOME, "-s", "/usr/sbin/nologin", USER])
            .status();
    }
    let u = nix::unistd::User::from_name(USER)
        .unwrap()
        .expect("test account");
    let _ = fs::create_dir(HOME);
    chown(HOME, Some(u.uid.as_raw()), Some(u.gid.as_raw())).unwrap();
    (u.uid.as_raw(), u.gid.as_raw())
}

fn getpw(args: &[&str]) -> (i32, Vec<u8>) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), out.stdout)
}

#[test]
fn finds_the_account_and_the_extension() {
    let (uid, gid) = account();
    assert_eq!(
        getpw(&[USER]),
        (
            0,
            format!("{USER}\0{uid}\0{gid}\0{HOME}\0\0\0").into_bytes()
        )
    );
    assert_eq!(
        getpw(&["QLGETPW-Some-Ext"]),
        (
            0,
            format!("{USER}\0{uid}\0{gid}\0{HOME}\0-\0Some-Ext\0").into_bytes()
        )
    );
}

#[test]
fn root_and_unknown_names_go_to_alias() {
    let alias = nix::unistd::User::from_name("alias").unwrap();
    for local in ["root", "no-such-user-here"] {
        let (code, out) = getpw(&[local]);
        match &alias {
            Some(a) => {
                assert_eq!(code, 0);
                let want = format!(
                    "alias\0{}\0{}\0{}\0-\0{local}\0",
                    a.uid,
                    a.gid,
                    a.dir.display()
                );
                assert_eq!(out, want.into_bytes());
            }
            None => assert_eq!((code, out), (116, Vec::new()), "{local}"),
        }
    }
}

#[test]
fn no_argument_is_usage() {
    assert_eq!(getpw(&[]), (100, Vec::new()));
}

/// A real NSS failure: in a private mount namespace, nsswitch.conf says `passwd: files`
/// and /etc/passwd is a copy with mode 000, so getpwnam_r (as qmailp, as qmail-lspawn runs
/// it) returns EACCES. That is a temporary failure (exit 118), not "no such user" (which
/// would send the mail to the alias user, or exit 116 without one).
#[test]
fn unreadable_passwd_is_a_temporary_failure() {
    // numeric: inside the namespace no name can be looked up
    let qmailp = nix::unistd::User::from_name("qmailp").unwrap().unwrap();
    let nofiles = nix::unistd::Group::from_name("nofiles").unwrap().unwrap();
    let dir = std::env::temp_dir().join(format!("qlgetpw-nss.{}", std::process::id()));
    let _ = fs::create_dir(&dir);
    let (nss, passwd) = (dir.join("nsswitch.conf"), dir.join("passwd"));
    fs::write(&nss, "passwd: files\ngroup: files\n").unwrap();
    fs::copy("/etc/passwd", &passwd).unwrap();
    fs::set_permissions(&passwd, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    let out = Command::new("unshare")
        .args(["-m", "--propagation", "private", "--", "/bin/sh", "-c"])
        .arg(
            r#"mount --bind "$0" /etc/nsswitch.conf && mount --bind "$1" /etc/passwd || exit 97
               exec setpriv --reuid="$2" --regid="$3" --clear-groups "$4" "$5""#,
        )
        .arg(&nss)
        .arg(&passwd)
        .arg(qmailp.uid.to_string())
        .arg(nofiles.gid.to_string())
        .args([BIN, "root"])
        .output()
        .unwrap();
    let _ = fs::remove_dir_all(&dir);
    assert_eq!(
        (out.status.code(), out.stdout),
        (Some(118), Vec::new()),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
