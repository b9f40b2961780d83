//! Black-box: qmail-newmrh in a private mount namespace with a temporary qmail home
//! bind-mounted over the compiled-in one (needs root and unshare(1)).
#![allow(clippy::unwrap_used, clippy::expect_used)]
use qmail_core::cdb::Cdb;
use qmail_e2e::Home;

fn tmpdir(tag: &str) -> Home {
    let h = Home::new(&format!("newmrh-{tag}"));
    h.mkdir("control");
    h
}

/// Run the binary with `home` mounted on the qmail home; (exit code, stderr).
fn run_in(home: &Home) -> (i32, String) {
    let r = qmail_e2e::run(&mut home.command(env!("CARGO_BIN_EXE_qmail-newmrh")));
    (r.exit(), r.stderr_str())
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
