//! qmail-pw2u run for real, with a temporary qmail home bind-mounted in a private mount
//! namespace (the home is fixed at build time).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;

use qmail_e2e::Home;

const BIN: &str = env!("CARGO_BIN_EXE_qmail-pw2u");

fn home(name: &str) -> Home {
    let h = Home::new(&format!("qmail-pw2u-{name}"));
    h.mkdir("users");
    h
}

/// (exit code, stdout, stderr) of `qmail-pw2u args` reading `passwd`.
fn pw2u(t: &Home, args: &str, passwd: &str) -> (i32, String, String) {
    qmail_e2e::feed(
        t.command(BIN).args(args.split_whitespace()),
        passwd.as_bytes(),
    )
    .texts()
}

const PASSWD: &str = "root:x:0:0::/root:/bin/sh\nalias:x:900:901::/nonexistent-a:/bin/true\njoe:x:1000:1000::/nonexistent-j:/bin/sh\n";

#[test]
fn assign_from_passwd_and_users_files() {
    let t = home("ok");
    fs::write(t.join("users/mailnames"), "joe:joe:Joe.Smith\n").unwrap();
    fs::write(t.join("users/append"), "=x:joe:1:1:/x:::\n").unwrap();
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
        (100, "qmail-pw2u: illegal option -- q\n")
    );
    let (code, _, err) = pw2u(&t, "-c", PASSWD);
    assert_eq!(
        (code, err.as_str()),
        (100, "qmail-pw2u: option requires an argument -- c\n")
    );
}
