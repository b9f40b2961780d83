#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_qreceipt");
const ME: &str = "qcmp-receipt@cmp.example";

struct Qq {
    dir: PathBuf,
}

impl Qq {
    fn new(name: &str, exit: u8) -> Qq {
        let dir = std::env::temp_dir().join(format!("qreceipt-test.{name}.{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let d = dir.display();
        let script = dir.join("qq");
        fs::write(
            &script,
            format!("#!/bin/sh\ncat > {d}/mess\ncat 0<&1 > {d}/env\nexit {exit}\n"),
        )
        .unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        Qq { dir }
    }

    fn read(&self, f: &str) -> Vec<u8> {
        fs::read(self.dir.join(f)).unwrap()
    }

    fn queued(&self) -> bool {
        self.dir.join("mess").exists()
    }

    fn run(&self, args: &[&str], sender: Option<&str>, msg: &str) -> (i32, String) {
        let mut c = Command::new(BIN);
        c.args(args)
            .env_clear()
            .env("QMAILQUEUE", self.dir.join("qq"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(s) = sender {
            c.env("SENDER", s);
        }
        let mut child = c.spawn().unwrap();
        let _ = child.stdin.take().unwrap().write_all(msg.as_bytes());
        let out = child.wait_with_output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    }
}

impl Drop for Qq {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

const ASKING: &str = "Notice-Requested-Upon-Delivery-To: qcmp-receipt@cmp.example\n\
Message-ID: <receipt@example.org>\nSubject: receipt wanted\n\nbody\n";

#[test]
fn sends_the_notice_to_the_sender_from_the_empty_sender() {
    let qq = Qq::new("yes", 0);
    assert_eq!(
        qq.run(&[ME], Some("qcmp-bounces@cmp.example"), ASKING),
        (0, String::new())
    );
    // Byte for byte what notqmail's qreceipt queued in the compliance reference.
    assert_eq!(
        String::from_utf8(qq.read("mess")).unwrap(),
        "From: DELIVERY NOTICE SYSTEM <qcmp-bounces@cmp.example>\n\
To: <qcmp-bounces@cmp.example>\n\
Subject: success notice\n\
\n\
Hi! This is the qreceipt program. Your message was delivered to the\n\
following address: qcmp-receipt@cmp.example. Thanks for asking.\n\
Your Message-ID: <receipt@example.org>\n"
    );
    assert_eq!(qq.read("env"), b"F\0Tqcmp-bounces@cmp.example\0\0");
}

#[test]
fn address_forms_in_the_request() {
    let qq = Qq::new("forms", 0);
    let msg = "notice-requested-upon-delivery-to: Someone <x@y>,\n (me) \"qcmp-receipt\"@cmp.example\n\nbody\n";
    assert_eq!(
        qq.run(&[ME], Some("a b@example.org"), msg),
        (0, String::new())
    );
    let mess = String::from_utf8(qq.read("mess")).unwrap();
    assert!(
        mess.starts_with(
            "From: DELIVERY NOTICE SYSTEM <\"a b\"@example.org>\nTo: <\"a b\"@example.org>\n"
        ),
        "{mess}"
    );
    assert!(mess.ends_with("Thanks for asking.\n"), "{mess}");
    assert_eq!(qq.read("env"), b"F\0Ta b@example.org\0\0");
}

#[test]
fn no_notice_unless_asked_for_this_address_by_a_real_sender() {
    let qq = Qq::new("no", 0);
    let other = ASKING.replace("qcmp-receipt@", "qcmp-other@");
    assert_eq!(
        qq.run(&[ME], Some("s@example.org"), &other),
        (0, String::new())
    );
    assert_eq!(qq.run(&[ME], Some(""), ASKING), (0, String::new()));
    assert_eq!(qq.run(&[ME], Some("#@[]"), ASKING), (0, String::new()));
    // In the body it is not a request.
    let body = format!("Subject: x\n\n{ASKING}");
    assert_eq!(
        qq.run(&[ME], Some("s@example.org"), &body),
        (0, String::new())
    );
    assert!(!qq.queued());
}

#[test]
fn failures() {
    let qq = Qq::new("fail", 31);
    assert_eq!(
        qq.run(&[ME], Some("s@example.org"), ASKING),
        (100, "qreceipt: fatal: permanent qmail-queue error\n".into())
    );
    let qq = Qq::new("temp", 51);
    assert_eq!(
        qq.run(&[ME], Some("s@example.org"), ASKING),
        (111, "qreceipt: fatal: temporary qmail-queue error\n".into())
    );
    let bad = "Notice-Requested-Upon-Delivery-To: \"open\n\n";
    assert_eq!(
        qq.run(&[ME], Some("s@example.org"), bad),
        (
            100,
            "qreceipt: fatal: unable to parse this: Notice-Requested-Upon-Delivery-To: \"open\n"
                .into()
        )
    );
    let usage = "qreceipt: usage: qreceipt deliveryaddress\n".to_string();
    assert_eq!(
        qq.run(&[], Some("s@example.org"), ASKING),
        (100, usage.clone())
    );
    assert_eq!(qq.run(&[ME], None, ASKING), (100, usage));
}
