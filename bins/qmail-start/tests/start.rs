//! Black-box tests of qmail-start: the daemons it starts are stand-in scripts in the bin/
//! of a temporary qmail home (bind-mounted over /var/qmail in a private mount namespace)
//! that record their ids, arguments and descriptors, and talk over the pipes qmail-start
//! made.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use qmail_e2e::{gid_of as gid, uid_of as uid, Home};

const BIN: &str = env!("CARGO_BIN_EXE_qmail-start");

/// `bin/<name>` in the home; the script writes what it records into the home (`$O`).
fn script(dir: &Path, name: &str, body: &str) {
    let text = format!("#!/bin/sh\nO={}\n{body}", dir.display());
    qmail_e2e::script(dir.join("bin").join(name), &text);
}

const IDS: &str = "printf '%s %s [%s] %s\\n' \"$(id -u)\" \"$(id -g)\" \"$(id -G)\" \"$*\"";

fn setup(tag: &str) -> Home {
    let dir = Home::new(&format!("qmail-start-{tag}"));
    dir.mkdir("bin");
    std::fs::set_permissions(&*dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(dir.join("bin"), std::fs::Permissions::from_mode(0o755)).unwrap();
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

fn start(dir: &Home, args: &[&str]) -> std::process::Output {
    // the logger is looked up in $PATH
    let path = format!("{}:/usr/bin:/bin", dir.join("bin").display());
    start_with_path(dir, args, &path)
}

fn start_with_path(dir: &Home, args: &[&str], path: &str) -> std::process::Output {
    let mut c: Command = dir.command(BIN);
    c.args(args)
        .env_clear()
        .env("PATH", path)
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
    std::fs::remove_file(dir.join("bin/qmail-send")).unwrap();
    let out = start(&dir, &["./Maildir/"]);
    assert_eq!(out.status.code(), Some(111));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
}

/// The programs come from /var/qmail/bin whatever $PATH says: a root program must not let
/// its environment choose what runs as root. (The logger, named on the command line, is
/// found through $PATH.)
#[test]
fn programs_come_from_the_qmail_home_not_path() {
    let dir = setup("path");
    let decoys = dir.join("decoys");
    std::fs::create_dir(&decoys).unwrap();
    for name in ["qmail-lspawn", "qmail-rspawn", "qmail-clean", "qmail-send"] {
        qmail_e2e::script(
            decoys.join(name),
            &format!("#!/bin/sh\ntouch {}/decoy-{name}\n", dir.display()),
        );
    }
    let path = format!(
        "{}:{}:/usr/bin:/bin",
        decoys.display(),
        dir.join("bin").display()
    );
    let out = start_with_path(&dir, &["./Maildir/", "logger"], &path);
    assert_eq!(out.status.code(), Some(0));
    for n in ["qmail-lspawn", "qmail-rspawn", "qmail-clean", "logger"] {
        wait_for(&dir.join(format!("{n}.done")));
    }
    assert_eq!(read(&dir, "send.got"), "LRC");
    for name in ["qmail-lspawn", "qmail-rspawn", "qmail-clean", "qmail-send"] {
        assert!(
            !dir.join(format!("decoy-{name}")).exists(),
            "{name} came from $PATH"
        );
    }
}
