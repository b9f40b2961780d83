//! qmail-tcpok in a private mount namespace with a temporary /var/qmail (tests run as root).
#![allow(clippy::unwrap_used)]
use std::fs;

use qmail_e2e::tcpto::sample_table as table;
use qmail_e2e::Home;

const BIN: &str = env!("CARGO_BIN_EXE_qmail-tcpok");

fn home(tag: &str) -> Home {
    let h = Home::new(&format!("tcpok-{tag}"));
    h.mkdir("queue/lock");
    h
}

/// (exit code, stdout, stderr)
fn run(h: &Home) -> (i32, String, String) {
    qmail_e2e::run(&mut h.command(BIN)).texts()
}

#[test]
fn clears_the_table() {
    let h = home("clear");
    let mut t = table();
    t.extend_from_slice(b"tail");
    fs::write(h.path("queue/lock/tcpto"), &t).unwrap();
    assert_eq!(run(&h), (0, String::new(), String::new()));
    // qmail's IPv4 table and the IPv6 table after it (bytes 1024 to 3071): all zero.
    let after = fs::read(h.path("queue/lock/tcpto")).unwrap();
    assert_eq!(after.len(), 3072);
    assert!(after.iter().all(|&b| b == 0));
}

#[test]
fn errors_name_the_file() {
    let h = home("missing");
    let (code, _, err) = run(&h);
    assert_eq!(code, 111);
    assert_eq!(
        err,
        "qmail-tcpok: fatal: unable to open /var/qmail/queue/lock/tcpto: file does not exist\n"
    );
    fs::remove_dir_all(h.path("queue")).unwrap();
    let (code, _, err) = run(&h);
    assert_eq!(code, 111);
    assert_eq!(
        err,
        "qmail-tcpok: fatal: unable to chdir to /var/qmail/queue/lock: file does not exist\n"
    );
}
