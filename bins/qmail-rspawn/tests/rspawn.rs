//! Black-box tests of qmail-rspawn with `QMAILREMOTE` naming a script in place of
//! qmail-remote, in a private mount namespace with a temporary qmail home.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use qmail_e2e::{feed, script, Home};

const BIN: &str = env!("CARGO_BIN_EXE_qmail-rspawn");

fn home(tag: &str) -> Home {
    let dir = Home::new(&format!("qmail-rspawn-{tag}"));
    dir.mkdir("queue/lock");
    let m = dir.write("queue/mess/7/30", b"MSG\n");
    let q = nix::unistd::User::from_name("qmailq").unwrap().unwrap().uid;
    nix::unistd::chown(&m, Some(q), None).unwrap();
    dir.write("queue/lock/tcpto", [7u8; 1024]);
    script(
        dir.join("remote"),
        "#!/bin/sh\ncase \"$3\" in\n\
         ok@*) printf 'r\\0K%s|%s|%s|%s\\n\\0' \"$1\" \"$2\" \"$3\" \"$(cat)\";;\n\
         hard@*) printf 'h%s does not like recipient.\\n\\0DGiving up on %s.\\n\\0' \"$1\" \"$1\";;\n\
         quiet@*) ;;\n\
         fail@*) exit 111;;\n\
         crash@*) kill -SEGV $$;;\n\
         esac\n",
    );
    dir
}

/// Send `cmds` and close; returns every report and the exit code.
fn run(home: &Home, remote: &str, cmds: &[(u8, &str)]) -> (Vec<(u8, String)>, Option<i32>, u8) {
    let mut input = Vec::new();
    for (d, rcpt) in cmds {
        input.push(*d);
        input.extend_from_slice(format!("7/30\0s@here\0{rcpt}\0").as_bytes());
    }
    let r = feed(home.command(BIN).env("QMAILREMOTE", remote), &input);
    let (code, out) = (r.code, r.stdout);
    let limit = out[0];
    let mut reports = Vec::new();
    let mut rest = &out[1..];
    while let Some((&d, tail)) = rest.split_first() {
        let end = tail.iter().position(|&b| b == 0).unwrap();
        reports.push((d, String::from_utf8_lossy(&tail[..end]).into_owned()));
        rest = &tail[end + 1..];
    }
    reports.sort();
    (reports, code, limit)
}

#[test]
fn reports_and_tcpto() {
    let dir = home("reports");
    let remote = dir.join("remote").display().to_string();
    let (reports, code, limit) = run(
        &dir,
        &remote,
        &[
            (0, "ok@far.example"),
            (1, "hard@b.example"),
            (2, "quiet@c"),
            (3, "fail@d"),
            (4, "crash@e"),
            (5, "x@y@z"),
        ],
    );
    assert_eq!(code, Some(0));
    assert_eq!(limit, 120);
    assert_eq!(
        reports,
        [
            (0, "Kfar.example|s@here|ok@far.example|MSG\n".to_string()),
            (
                1,
                "Db.example does not like recipient.\nGiving up on b.example.\n".to_string()
            ),
            (2, "Zqmail-remote produced no output.\n".to_string()),
            (3, "ZUnable to run qmail-remote.\n".to_string()),
            (4, "Zqmail-remote crashed.\n".to_string()),
            (5, "Zqmail-remote produced no output.\n".to_string()),
        ]
    );
    assert_eq!(
        std::fs::read(dir.join("queue/lock/tcpto")).unwrap(),
        vec![0u8; 3072],
        "qmail's IPv4 table and the IPv6 table after it, cleared"
    );
}

#[test]
fn missing_program_is_permanent() {
    let dir = home("missing");
    let (reports, code, _) = run(&dir, "/nonexistent/qmail-remote", &[(9, "ok@far.example")]);
    assert_eq!(code, Some(0));
    assert_eq!(reports, [(9, "DUnable to run qmail-remote.\n".to_string())]);
}
