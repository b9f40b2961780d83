//! Black-box tests of qmail-start: the daemons it starts are stand-in scripts on PATH that
//! record their ids, arguments and descriptors, and talk over the pipes qmail-start made.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use qmail_e2e::{gid_of as gid, uid_of as uid, TempDir};

const BIN: &str = env!("CARGO_BIN_EXE_qmail-start");

fn script(dir: &Path, name: &str, body: &str) {
    let text = format!("#!/bin/sh\nO={}\n{body}", dir.display());
    qmail_e2e::script(dir.join(name), &text);
}

const IDS: &str = "printf '%s %s [%s] %s\\n' \"$(id -u)\" \"$(id -g)\" \"$(id -G)\" \"$*\"";

fn setup(tag: &str) -> TempDir {
    let dir = TempDir::new(&format!("qmail-start-{tag}"));
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    for (name, letter) in [
        ("qmail-lspawn", "L"),
        ("qmail-rspawn", "R"),
        ("qmail-clean", "C"),
    ] {
        script(
            &dir,
            name,
            &format!(
                "{IDS} > $O/{name}.ids\nfor n in 2 3 4 5 6; do [ -e /proc/$$/fd/$n ] && echo $n; done > $O/{name}.fds\n\
                 printf {letter}\ncat > $O/{name}.in\ntouch $O/{name}.done\n"
            ),
        );
    }
    script(
        &dir,
        "qmail-send",
        &format!(
            "{IDS} > $O/send.ids\n\
             printf '%s%s%s' \"$(head -c1 <&2)\" \"$(head -c1 <&4)\" \"$(head -c1 <&6)\" > $O/send.got\n\
             echo tolspawn >&1; echo torspawn >&3; echo toclean >&5; echo logline >&0\n"
        ),
    );
    script(
        &dir,
        "logger",
        &format!("{IDS} > $O/logger.ids\ncat > $O/log\ntouch $O/logger.done\n"),
    );
    dir
}

fn wait_for(p: &Path) {
    assert!(
        qmail_e2e::wait_for(10, || p.exists()),
        "{} never appeared",
        p.display()
    );
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

fn start(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", dir.display()))
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn daemons_users_and_pipes() {
    let dir = setup("pipes");
    let out = start(&dir, &["./Maildir/", "logger", "qmail", "x"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the stand-in qmail-send exits 0"
    );
    for n in ["qmail-lspawn", "qmail-rspawn", "qmail-clean", "logger"] {
        wait_for(&dir.join(format!("{n}.done")));
    }
    let (q, nofiles) = (gid("qmail"), gid("nofiles"));
    assert_eq!(
        read(&dir, "qmail-lspawn.ids"),
        format!("0 {q} [{q}] ./Maildir/\n")
    );
    assert_eq!(
        read(&dir, "qmail-rspawn.ids"),
        format!("{} {q} [{q}] \n", uid("qmailr"))
    );
    assert_eq!(
        read(&dir, "qmail-clean.ids"),
        format!("{} {q} [{q}] \n", uid("qmailq"))
    );
    assert_eq!(
        read(&dir, "send.ids"),
        format!("{} {q} [{q}] \n", uid("qmails"))
    );
    assert_eq!(
        read(&dir, "logger.ids"),
        format!("{} {nofiles} [{nofiles}] qmail x\n", uid("qmaill"))
    );
    assert_eq!(read(&dir, "send.got"), "LRC");
    assert_eq!(read(&dir, "qmail-lspawn.in"), "tolspawn\n");
    assert_eq!(read(&dir, "qmail-rspawn.in"), "torspawn\n");
    assert_eq!(read(&dir, "qmail-clean.in"), "toclean\n");
    assert_eq!(read(&dir, "log"), "logline\n");
    for n in ["qmail-lspawn", "qmail-rspawn", "qmail-clean"] {
        // Only stderr (/dev/null) among 2..6: no daemon holds another one's pipe.
        assert_eq!(read(&dir, &format!("{n}.fds")), "2\n", "{n}");
    }
    assert!(out.stdout.is_empty());
}

#[test]
fn default_delivery_and_log_on_stdout() {
    let dir = setup("stdout");
    let out = start(&dir, &[]);
    assert_eq!(out.status.code(), Some(0));
    wait_for(&dir.join("qmail-lspawn.done"));
    assert!(read(&dir, "qmail-lspawn.ids").ends_with("] ./Mailbox\n"));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "logline\n");
    assert!(out.stderr.is_empty());
}

#[test]
fn no_qmail_send_is_111() {
    let dir = setup("nosend");
    std::fs::remove_file(dir.join("qmail-send")).unwrap();
    let out = start(&dir, &["./Maildir/"]);
    assert_eq!(out.status.code(), Some(111));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
}
