//! Black-box: qmail-newmrh in a private mount namespace with a temporary qmail home
//! bind-mounted over the compiled-in one (needs root and unshare(1)).
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::path::{Path, PathBuf};
use std::process::Command;

use qmail_core::cdb::Cdb;

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("newmrh-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("control")).unwrap();
    d
}

/// Run the binary with `home` mounted on the qmail home; (exit code, stderr).
fn run_in(home: &Path) -> (i32, String) {
    let bin = env!("CARGO_BIN_EXE_qmail-newmrh");
    let script = format!(
        "mkdir -p {q} && mount --bind {h} {q} && exec {bin}",
        q = qmail_core::auto::QMAIL,
        h = home.display()
    );
    let out = Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn builds_the_cdb() {
    let d = tmpdir("ok");
    std::fs::write(
        d.join("control/morercpthosts"),
        "More.Example\n# no\n\n.deep.example \n",
    )
    .unwrap();
    let (code, err) = run_in(&d);
    assert_eq!((code, err.as_str()), (0, ""));
    let cdb = Cdb::open(d.join("control/morercpthosts.cdb")).unwrap();
    assert_eq!(cdb.find(b"more.example").unwrap(), Some(Vec::new()));
    assert_eq!(cdb.find(b".deep.example").unwrap(), Some(Vec::new()));
    assert_eq!(cdb.find(b"More.Example").unwrap(), None);
    assert_eq!(cdb.find(b"# no").unwrap(), None);
    assert!(!d.join("control/morercpthosts.tmp").exists());
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(d.join("control/morercpthosts.cdb"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn missing_list_is_111() {
    let d = tmpdir("missing");
    let (code, err) = run_in(&d);
    assert_eq!(code, 111);
    assert_eq!(
        err,
        "qmail-newmrh: fatal: unable to read control/morercpthosts: file does not exist\n"
    );
    std::fs::remove_dir_all(&d).unwrap();
}
