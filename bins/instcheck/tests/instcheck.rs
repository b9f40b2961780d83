//! Black-box: a DESTDIR image made by qmail-setup, checked by the instcheck binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_instcheck");

fn image(tag: &str) -> (PathBuf, PathBuf) {
    let top = std::env::temp_dir().join(format!("instcheck-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&top);
    let bin = top.join("build");
    fs::create_dir_all(&bin).unwrap();
    fs::write(bin.join("qmail-queue"), "x").unwrap();
    let root = top.join("dest").join(qmail_core_home());
    let opts = qmail_install::setup::Options {
        root: root.clone(),
        bindir: bin,
        srcdir: None,
        packaging: true,
        postmaster: None,
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    assert_eq!(
        qmail_install::setup::setup(&opts, &mut out, &mut err).unwrap(),
        0
    );
    (top, root)
}

fn qmail_core_home() -> &'static str {
    qmail_core::auto::QMAIL.trim_start_matches('/')
}

fn instcheck(top: &std::path::Path) -> Output {
    Command::new(BIN)
        .env("DESTDIR", top.join("dest"))
        .output()
        .unwrap()
}

#[test]
fn clean_image_then_damage() {
    let (top, root) = image("damage");
    let o = instcheck(&top);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.stderr.is_empty() && o.stdout.is_empty());

    fs::set_permissions(root.join("queue/todo"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::remove_file(root.join("bin/qmail-queue")).unwrap();
    fs::remove_file(root.join("queue/lock/trigger")).unwrap();
    fs::write(root.join("queue/lock/trigger"), "").unwrap();
    fs::set_permissions(
        root.join("queue/lock/trigger"),
        fs::Permissions::from_mode(0o622),
    )
    .unwrap();
    let o = instcheck(&top);
    assert_eq!(o.status.code(), Some(1));
    let r = root.display();
    assert_eq!(
        String::from_utf8(o.stderr).unwrap(),
        format!(
            "instcheck: warning: {r}/queue/todo has wrong permissions\n\
             instcheck: warning: {r}/queue/lock/trigger has wrong type\n\
             instcheck: warning: {r}/bin/qmail-queue does not exist\n"
        )
    );
    fs::remove_dir_all(&top).unwrap();
}

#[test]
fn nothing_installed_and_usage() {
    let o = Command::new(BIN)
        .env("DESTDIR", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8(o.stderr).unwrap();
    // every table entry that is not a program is missing; programs were never installed
    assert!(text.lines().all(|l| l.ends_with(" does not exist")));
    assert!(!text.contains("/bin/qmail-"));
    assert!(text.contains("/queue/lock/trigger does not exist\n"));

    let o = Command::new(BIN).arg("queue-only").output().unwrap();
    assert_eq!(o.status.code(), Some(100));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "instcheck: usage: instcheck\n"
    );
}
