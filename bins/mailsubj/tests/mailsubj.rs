//! mailsubj black-box: in a private mount namespace a stand-in bin/qmail-inject shows
//! what it receives. Needs root.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::fs;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_mailsubj");

#[test]
fn header_then_input_to_qmail_inject() {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    if !root {
        panic!("the tests run as root (sudo make test): needs root");
    }
    fs::create_dir_all("/var/qmail").unwrap();
    let d = std::env::temp_dir().join(format!("mailsubj-t-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(d.join("bin")).unwrap();
    fs::write(
        d.join("bin/qmail-inject"),
        "#!/bin/sh\necho \"args=$#\"\ncat\nexit 5\n",
    )
    .unwrap();
    Command::new("chmod")
        .arg("755")
        .arg(d.join("bin/qmail-inject"))
        .status()
        .unwrap();
    let ds = d.display().to_string();
    let script = format!(
        "mount --bind {ds} /var/qmail || exit 99\n\
         printf 'line 1\\nline 2\\n' | {BIN} 'the subject' a@x.y bob > {ds}/out; echo $? > {ds}/rc\n\
         {BIN} < /dev/null 2> {ds}/err; echo $? > {ds}/rc2\n"
    );
    let st = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", &script])
        .status()
        .unwrap();
    assert!(st.success());
    let r = |n: &str| fs::read_to_string(d.join(n)).unwrap();
    assert_eq!(
        r("out"),
        "args=0\nSubject: the subject\nTo: a@x.y bob\n\nline 1\nline 2\n"
    );
    assert_eq!(r("rc"), "5\n");
    assert_eq!(r("err"), "mailsubj: usage: mailsubj subject recip ...\n");
    assert_eq!(r("rc2"), "100\n");
    let _ = fs::remove_dir_all(&d);
}
