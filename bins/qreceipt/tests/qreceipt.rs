#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use qmail_e2e::{feed, FakeQueue};

const BIN: &str = env!("CARGO_BIN_EXE_qreceipt");
const ME: &str = "qcmp-receipt@cmp.example";

/// (exit code, stdout then stderr) of qreceipt reading `msg`, with `qq` as qmail-queue.
fn run(qq: &FakeQueue, args: &[&str], sender: Option<&str>, msg: &str) -> (i32, String) {
    let mut c = Command::new(BIN);
    c.args(args).env_clear().env("QMAILQUEUE", qq.program());
    if let Some(s) = sender {
        c.env("SENDER", s);
    }
    feed(&mut c, msg.as_bytes()).combined()
}

const ASKING: &str = "Notice-Requested-Upon-Delivery-To: qcmp-receipt@cmp.example\n\
Message-ID: <receipt@example.org>\nSubject: receipt wanted\n\nbody\n";

#[test]
fn sends_the_notice_to_the_sender_from_the_empty_sender() {
    let qq = FakeQueue::once(0);
    assert_eq!(
        run(&qq, &[ME], Some("qcmp-bounces@cmp.example"), ASKING),
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
    let qq = FakeQueue::once(0);
    let msg = "notice-requested-upon-delivery-to: Someone <x@y>,\n (me) \"qcmp-receipt\"@cmp.example\n\nbody\n";
    assert_eq!(
        run(&qq, &[ME], Some("a b@example.org"), msg),
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
    let qq = FakeQueue::once(0);
    let other = ASKING.replace("qcmp-receipt@", "qcmp-other@");
    assert_eq!(
        run(&qq, &[ME], Some("s@example.org"), &other),
        (0, String::new())
    );
    assert_eq!(run(&qq, &[ME], Some(""), ASKING), (0, String::new()));
    assert_eq!(run(&qq, &[ME], Some("#@[]"), ASKING), (0, String::new()));
    // In the body it is not a request.
    let body = format!("Subject: x\n\n{ASKING}");
    assert_eq!(
        run(&qq, &[ME], Some("s@example.org"), &body),
        (0, String::new())
    );
    assert!(!qq.queued());
}

#[test]
fn failures() {
    let qq = FakeQueue::once(31);
    assert_eq!(
        run(&qq, &[ME], Some("s@example.org"), ASKING),
        (100, "qreceipt: fatal: permanent qmail-queue error\n".into())
    );
    let qq = FakeQueue::once(51);
    assert_eq!(
        run(&qq, &[ME], Some("s@example.org"), ASKING),
        (111, "qreceipt: fatal: temporary qmail-queue error\n".into())
    );
    let bad = "Notice-Requested-Upon-Delivery-To: \"open\n\n";
    assert_eq!(
        run(&qq, &[ME], Some("s@example.org"), bad),
        (
            100,
            "qreceipt: fatal: unable to parse this: Notice-Requested-Upon-Delivery-To: \"open\n"
                .into()
        )
    );
    let usage = "qreceipt: usage: qreceipt deliveryaddress\n".to_string();
    assert_eq!(
        run(&qq, &[], Some("s@example.org"), ASKING),
        (100, usage.clone())
    );
    assert_eq!(run(&qq, &[ME], None, ASKING), (100, usage));
}
