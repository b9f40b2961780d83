//! ipme has one answer for qmail-smtpd and qmail-remote: in a network namespace of its
//! own, an address on an interface that is down is not this host's for either program
//! (qmail skips such interfaces); once the interface is up it is this host's for both.
//! qmail-smtpd shows it by rewriting `u@[ip]` to control/localiphost (allowed by
//! rcpthosts); qmail-remote by refusing to deliver to itself (#5.4.6).
#![allow(clippy::unwrap_used)]
mod common;
use common::*;
use nix::sched::{unshare, CloneFlags};
use std::process::Command;
use std::thread;

const ADDR: &str = "10.9.9.9";

fn ip(args: &[&str]) {
    let st = Command::new("ip").args(args).status().unwrap();
    assert!(st.success(), "ip {args:?}");
}

/// qmail-smtpd's reply to RCPT TO:<u@[ADDR]>.
fn smtpd_rcpt(h: &Home, smtpd: &std::path::Path) -> String {
    let input = format!("HELO t\r\nMAIL FROM:<s@x.test>\r\nRCPT TO:<u@[{ADDR}]>\r\nQUIT\r\n");
    let run = qmail_e2e::feed(&mut h.home.bare_command(smtpd), input.as_bytes());
    let out = String::from_utf8_lossy(&run.stdout).into_owned();
    let rcpt = out.lines().nth(3).unwrap_or_default().to_owned();
    assert!(!rcpt.is_empty(), "no reply to RCPT: {out:?}");
    rcpt
}

fn remote(h: &Home) -> Vec<u8> {
    let host = format!("[{ADDR}]");
    h.run(
        &[host.as_bytes(), b"s@me.example", b"r@x.test"],
        b"Subject: t\n\nhi\n",
    )
    .1
}

#[test]
fn smtpd_and_remote_agree_about_a_down_interface() {
    let smtpd = qmail_e2e::home::sibling(env!("CARGO_BIN_EXE_qmail-remote"), "qmail-smtpd");
    thread::spawn(move || {
        unshare(CloneFlags::CLONE_NEWNET).unwrap();
        ip(&["link", "set", "lo", "up"]);
        // A veth pair (no dummy driver needed); its v0 end carries the address.
        ip(&["link", "add", "v0", "type", "veth", "peer", "name", "v1"]);
        ip(&["addr", "add", &format!("{ADDR}/24"), "dev", "v0"]);
        let h = Home::new();
        h.control("localiphost", "me.example\n");
        h.control("rcpthosts", "me.example\n");

        // v0 is down: not this host's.
        assert!(smtpd_rcpt(&h, &smtpd).starts_with("553 "));
        assert_eq!(
            remote(&h),
            b"ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n\0"
        );

        // v0 is up: this host's, for both.
        ip(&["link", "set", "v0", "up"]);
        assert!(smtpd_rcpt(&h, &smtpd).starts_with("250 "));
        assert_eq!(
            remote(&h),
            b"DSorry. Although I'm listed as a best-preference MX or A for that host,\nit isn't in my control/locals file, so I don't treat it as local. (#5.4.6)\n\0"
        );
    })
    .join()
    .unwrap();
}
