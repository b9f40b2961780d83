#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! The boot scripts in boot/ hand preline and qmail-start their arguments; boot/check.sh
//! parses every script (sh -n), runs each with a fake qmail-start to compare the exact
//! arguments and environment, and verifies the systemd units when systemd-analyze exists.

use std::path::Path;
use std::process::Command;

#[test]
fn boot_scripts_check() {
    let boot = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../boot");
    let out = Command::new("sh")
        .arg(boot.join("check.sh"))
        .arg(&boot)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn check_catches_a_broken_script() {
    let boot = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../boot");
    let copy = std::env::temp_dir().join(format!("boot-copy.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    let ok = Command::new("cp")
        .arg("-a")
        .arg(&boot)
        .arg(&copy)
        .status()
        .unwrap();
    assert!(ok.success());
    std::fs::write(
        copy.join("proc"),
        "#!/bin/sh\nexec env - qmail-start '|preline procmail\n",
    )
    .unwrap();
    let out = Command::new("sh")
        .arg(copy.join("check.sh"))
        .arg(&copy)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&copy);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAIL: proc: sh -n"), "{text}");
}
