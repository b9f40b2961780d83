//! qmail-tcpto in a private mount namespace with a temporary /var/qmail (tests run as root).
#![allow(clippy::unwrap_used)]
use std::fs;

use qmail_e2e::tcpto::sample_table as table;
use qmail_e2e::Home;

const BIN: &str = env!("CARGO_BIN_EXE_qmail-tcpto");

fn home(tag: &str) -> Home {
    let h = Home::new(&format!("tcpto-{tag}"));
    h.mkdir("queue/lock");
    h
}

/// (exit code, stdout, stderr)
fn run(h: &Home) -> (i32, String, String) {
    qmail_e2e::run(&mut h.command(BIN)).texts()
}

#[test]
fn prints_records_with_timeouts() {
    let h = home("print");
    fs::write(h.path("queue/lock/tcpto"), table()).unwrap();
    let (code, out, _) = run(&h);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    let ago = |l: &str, ip: &str, n: &str| -> u32 {
        let rest = l.strip_prefix(&format!("{ip} timed out ")).unwrap();
        let (secs, tail) = rest
            .split_once(" seconds ago; # recent timeouts: ")
            .unwrap();
        assert_eq!(tail, n);
        secs.parse().unwrap()
    };
    assert!((100..=102).contains(&ago(lines[0], "192.0.2.1", "2")));
    assert!((5000..=5002).contains(&ago(lines[1], "10.1.2.3", "10")));
}

#[test]
fn prints_ipv6_records_after_the_ipv4_ones() {
    let h = home("print6");
    let mut t = table();
    // The IPv6 table follows qmail's 1024 bytes: 32-byte records, the address, the
    // count at byte 16, the time at bytes 20-23.
    let mut rec = [0u8; 32];
    rec[..16].copy_from_slice(
        &"2001:db8::25"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
    );
    rec[16] = 3;
    rec[20..24].copy_from_slice(&(qmail_e2e::tcpto::now() - 60).to_le_bytes());
    t.extend_from_slice(&[0u8; 32]);
    t.extend_from_slice(&rec);
    fs::write(h.path("queue/lock/tcpto"), &t).unwrap();
    let (code, out, _) = run(&h);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].starts_with("192.0.2.1 timed out "), "{out}");
    assert!(
        lines[2].starts_with("2001:db8::25 timed out 6")
            && lines[2].ends_with(" seconds ago; # recent timeouts: 3"),
        "{out}"
    );
}

#[test]
fn empty_table_prints_nothing() {
    let h = home("empty");
    fs::write(h.path("queue/lock/tcpto"), [0u8; 1024]).unwrap();
    assert_eq!(run(&h), (0, String::new(), String::new()));
}

#[test]
fn missing_file_is_fatal_on_stdout() {
    let h = home("missing");
    let (code, out, _) = run(&h);
    assert_eq!(code, 111);
    assert_eq!(out, "fatal: unable to open tcpto: file does not exist\n");
}
