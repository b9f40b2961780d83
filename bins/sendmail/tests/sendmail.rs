//! sendmail black-box: in a private mount namespace a temporary qmail home holds stand-in
//! bin/qmail-inject, bin/qmail-qread and bin/qmail-smtpd scripts that print how they were
//! called, so the exact hand-over (arguments, environment) is visible. Needs root.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::fs;

use qmail_e2e::{FakeQueue, Home};

const BIN: &str = env!("CARGO_BIN_EXE_sendmail");

const SHOW: &str = "#!/bin/sh\necho \"$0\"\nfor a in \"$@\"; do echo \"arg[$a]\"; done\n\
for v in MAILNAME NAME QMAILNAME QMAILUSER QMAILHOST MAILHOST RELAYCLIENT DATABYTES PROTO \
TCPLOCALIP TCPLOCALHOST TCPREMOTEIP TCPREMOTEHOST TCPREMOTEINFO; do\n\
eval \"x=\\${$v+set}\"; [ \"$x\" = set ] && eval \"echo $v=\\$$v\"\ndone\ncat\nexit 7\n";

/// Run sendmail (under the name `argv0`) with `env` and `args`; stdout, stderr, exit code.
fn sendmail(argv0: &str, env: &[&str], args: &[&str], input: &str) -> (String, String, i32) {
    let d = Home::new("sendmail");
    for p in ["qmail-inject", "qmail-qread", "qmail-smtpd"] {
        qmail_e2e::script(d.join("bin").join(p), SHOW);
    }
    qmail_e2e::install_program(BIN, d.join(argv0));
    d.write("input", input);
    let q = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let ds = d.display().to_string();
    let script = format!(
        "env - {} /var/qmail/{argv0} {} < {ds}/input > {ds}/out 2> {ds}/err\necho $? > {ds}/rc\n",
        env.iter().map(|e| q(e)).collect::<Vec<_>>().join(" "),
        args.iter().map(|a| q(a)).collect::<Vec<_>>().join(" ")
    );
    let st = d.command("/bin/sh").args(["-c", &script]).status().unwrap();
    assert!(st.success());
    let r = |n: &str| fs::read_to_string(d.join(n)).unwrap_or_default();
    (r("out"), r("err"), r("rc").trim().parse().unwrap_or(-1))
}

macro_rules! need_root {
    () => {
        qmail_e2e::home::require_root()
    };
}

#[test]
fn plain_and_t() {
    need_root!();
    let (o, e, rc) = sendmail("sendmail", &[], &["-i", "a@x.y", "b"], "msg\n");
    assert_eq!(
        o,
        "bin/qmail-inject\narg[-a]\narg[--]\narg[a@x.y]\narg[b]\nmsg\n"
    );
    assert_eq!(
        (e.as_str(), rc),
        ("", 7),
        "the child's exit code is sendmail's"
    );
    let (o, _, _) = sendmail("sendmail", &[], &["-t", "-oi", "-odb", "-oem"], "");
    assert_eq!(o, "bin/qmail-inject\narg[-H]\narg[--]\n");
    let (o, _, _) = sendmail(
        "sendmail",
        &[],
        &[
            "-ti", "-v", "-x", "-m", "-e", "x", "-p", "smtp:h", "-B", "8BITMIME", "-N", "never",
            "r",
        ],
        "",
    );
    assert_eq!(o, "bin/qmail-inject\narg[-H]\narg[--]\narg[r]\n");
}

#[test]
fn sender_and_name() {
    need_root!();
    let (o, _, _) = sendmail(
        "sendmail",
        &["NAME=n", "MAILHOST=mh", "QMAILNAME=qn"],
        &["-f", "s@x.y", "r@x.y"],
        "",
    );
    assert_eq!(
        o,
        "bin/qmail-inject\narg[-a]\narg[-f]\narg[s@x.y]\narg[--]\narg[r@x.y]\nQMAILUSER=s\nQMAILHOST=x.y\n"
    );
    let (o, _, _) = sendmail("sendmail", &[], &["-fbare", "r"], "");
    assert_eq!(
        o,
        "bin/qmail-inject\narg[-a]\narg[-f]\narg[bare]\narg[--]\narg[r]\nQMAILUSER=bare\n"
    );
    let (o, _, _) = sendmail("sendmail", &[], &["-F", "Full Name", "r"], "");
    assert_eq!(
        o,
        "bin/qmail-inject\narg[-a]\narg[--]\narg[r]\nMAILNAME=Full Name\n"
    );
    // -F is lost when -f is given too (qmail quirk, either order)
    let (o, _, _) = sendmail(
        "sendmail",
        &[],
        &["-F", "Full Name", "-f", "s@x.y", "r"],
        "",
    );
    assert_eq!(o, "bin/qmail-inject\narg[-a]\narg[-f]\narg[s@x.y]\narg[--]\narg[r]\nQMAILUSER=s\nQMAILHOST=x.y\n");
    // -r is a synonym of -f
    let (o, _, _) = sendmail("sendmail", &[], &["-r", "s@x.y", "r"], "");
    assert_eq!(o, "bin/qmail-inject\narg[-a]\narg[-f]\narg[s@x.y]\narg[--]\narg[r]\nQMAILUSER=s\nQMAILHOST=x.y\n");
}

#[test]
fn modes() {
    need_root!();
    let (o, _, rc) = sendmail("sendmail", &[], &["-bp"], "");
    assert_eq!((o.as_str(), rc), ("bin/qmail-qread\n", 7));
    let (o, _, _) = sendmail("mailq", &[], &[], "");
    assert_eq!(o, "bin/qmail-qread\n");
    let (o, _, _) = sendmail("sendmail", &[], &["-bs"], "HELO x\n");
    assert_eq!(
        o,
        "bin/qmail-smtpd\nRELAYCLIENT=\nDATABYTES=0\nPROTO=TCP\nTCPLOCALIP=127.0.0.1\n\
         TCPLOCALHOST=localhost\nTCPREMOTEIP=127.0.0.1\nTCPREMOTEHOST=localhost\n\
         TCPREMOTEINFO=sendmail-bs\nHELO x\n"
    );
    let (o, _, _) = sendmail("sendmail", &["PROTO=X"], &["-bs"], "");
    assert_eq!(
        o, "bin/qmail-smtpd\nPROTO=X\n",
        "with PROTO set nothing is added"
    );
    let (o, _, _) = sendmail("sendmail", &[], &["-bm", "r"], "");
    assert_eq!(o, "bin/qmail-inject\narg[-a]\narg[--]\narg[r]\n");
}

#[test]
fn errors_name_the_flag() {
    need_root!();
    let usage =
        "sendmail: usage: sendmail [ -t ] [ -fsender ] [ -Fname ] [ -bp ] [ -bs ] [ arg ... ]\n";
    let (o, e, rc) = sendmail("sendmail", &[], &["-q"], "");
    assert_eq!((o.as_str(), rc), ("", 100));
    assert_eq!(e, format!("sendmail: illegal option -- q\n{usage}"));
    let (_, e, rc) = sendmail("sendmail", &[], &["-f"], "");
    assert_eq!(rc, 100);
    assert_eq!(
        e,
        format!("sendmail: option requires an argument -- f\n{usage}")
    );
    let (_, e, rc) = sendmail("sendmail", &[], &["-bv", "x"], "");
    assert_eq!(rc, 100);
    assert_eq!(e, format!("sendmail: unsupported mode -bv\n{usage}"));
    let (_, e, rc) = sendmail("newaliases", &[], &[], "");
    assert_eq!(
        (e.as_str(), rc),
        (
            "sendmail: fatal: please use fastforward/newaliases instead\n",
            100
        )
    );
}

/// sendmail → the real qmail-inject (when built next to sendmail) → a recording
/// QMAILQUEUE: the compliance scenario sendmail-f-F, envelope and From line.
#[test]
fn through_real_qmail_inject() {
    need_root!();
    let inject = std::path::Path::new(BIN).with_file_name("qmail-inject");
    if !inject.exists() {
        panic!("qmail-inject is not built: cargo build --workspace first");
    }
    let d = Home::new("sendmail-e2e");
    d.control("me", "cmp.example\n");
    d.mkdir("bin");
    qmail_e2e::install_program(&inject, d.join("bin/qmail-inject"));
    qmail_e2e::install_program(BIN, d.join("bin/sendmail"));
    let ds = d.display().to_string();
    let qq = FakeQueue::once(0);
    let qqs = qq.program().display().to_string();
    fs::write(d.join("m"), "To: rcpt@example.org\nSubject: s\n\nbody\n").unwrap();
    let cases: &[(&[&str], &[&str], &str, &str)] = &[
        (
            &[],
            &["-f", "someone@example.org", "rcpt@example.org"],
            "someone@example.org",
            "From: someone@example.org",
        ),
        (
            &[],
            &["-F", "Full Name", "rcpt@example.org"],
            "qcmp@cmp.example",
            "From: \"Full Name\" <qcmp@cmp.example>",
        ),
        (
            &[],
            &[
                "-F",
                "Full Name",
                "-f",
                "someone@example.org",
                "rcpt@example.org",
            ],
            "someone@example.org",
            "From: someone@example.org",
        ),
        (
            &["QMAILHOST=qh.example", "MAILNAME=Env Name"],
            &["-f", "bare", "rcpt@example.org"],
            "bare@cmp.example",
            "From: bare@cmp.example",
        ),
    ];
    for (env, args, sender, from) in cases {
        let script = format!(
            "env - USER=qcmp QMAILQUEUE={qqs} {} /var/qmail/bin/sendmail {} < {ds}/m; echo $? > {ds}/rc\n",
            env.join(" ").replace("Env Name", "'Env Name'").replace("MAILNAME='Env Name'", "'MAILNAME=Env Name'"),
            args.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(" ")
        );
        let st = d.command("/bin/sh").args(["-c", &script]).status().unwrap();
        assert!(st.success());
        assert_eq!(
            fs::read_to_string(d.join("rc")).unwrap().trim(),
            "0",
            "{args:?}"
        );
        let envl = qq.read("env");
        let want = format!("F{sender}\0Trcpt@example.org\0\0");
        assert_eq!(String::from_utf8_lossy(&envl), want, "{args:?}");
        let mess = String::from_utf8(qq.read("mess")).unwrap();
        assert!(mess.lines().any(|l| l == *from), "{args:?}: {mess}");
    }
}
