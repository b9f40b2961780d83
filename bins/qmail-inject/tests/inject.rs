//! qmail-inject black-box tests beyond the rewriting table: the compliance scenario
//! texts, qmail-queue failures, and a body far larger than the memory limit.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod harness;

use std::fs;

use harness::{in_namespace, normalise, require_root};

macro_rules! need_root {
    () => {
        require_root()
    };
}

fn read(d: &std::path::Path, n: &str) -> String {
    String::from_utf8_lossy(&fs::read(d.join(n)).unwrap_or_default()).into_owned()
}

/// compliance/scenarios/inject-existing-headers.sh, byte for byte (after normalising).
#[test]
fn existing_headers_scenario() {
    need_root!();
    let msg = "received: from somewhere by somewhere; 1 Jan 2020 00:00:00 -0000\n\
From: Original Sender <orig@example.org>\n\
Date: Wed, 1 Jan 2020 00:00:00 +0100\n\
Message-ID: <fixed-id@example.org>\n\
X-Folded: first part\n\tsecond part\n   third part\n\
To: rcpt@example.org\n\
Return-Path: <should-be-removed@example.org>\n\
Content-Length: 1234\ncontent-length: 99\nMIME-Version: 1.0\nSubject: existing headers\n\nbody\n";
    let d = in_namespace(&format!(
        "cat > $T/m <<'MSG'\n{msg}MSG\nenv - USER=qcmp $B -n < $T/m > $T/out; echo $? > $T/rc"
    ));
    let want = "Return-Path: <should-be-removed@example.org>\n\
received: from somewhere by somewhere; 1 Jan 2020 00:00:00 -0000\n\
From: Original Sender <orig@example.org>\n\
Date: Wed, 1 Jan 2020 00:00:00 +0100\n\
Message-ID: <fixed-id@example.org>\n\
X-Folded: first part\n\tsecond part\n   third part\n\
To: rcpt@example.org\nMIME-Version: 1.0\nSubject: existing headers\n\nbody\n";
    assert_eq!(read(&d, "out"), want);
    assert_eq!(read(&d, "rc"), "0\n");
    let _ = fs::remove_dir_all(&d);
}

/// qmail-queue's exit code decides: 11 permanent (100), 53 temporary (111), and a
/// QMAILQUEUE that cannot run is temporary.
#[test]
fn queue_failures() {
    need_root!();
    let d = in_namespace(
        "for c in 11 53 0; do printf '#!/bin/sh\\ncat >/dev/null; cat <&1 >/dev/null; exit %s\\n' $c > $T/qq$c; chmod 755 $T/qq$c; done\n\
         for c in 11 53 0; do printf 'To: a@x.y\\n\\nb\\n' | env - USER=u QMAILQUEUE=$T/qq$c $B 2> $T/err$c; echo $? > $T/rc$c; done\n\
         printf 'b\\n' | env - USER=u QMAILQUEUE=$T/missing $B a@x.y 2> $T/errm; echo $? > $T/rcm",
    );
    assert_eq!(read(&d, "rc11"), "100\n");
    assert_eq!(
        read(&d, "err11"),
        "qmail-inject: fatal: envelope address too long for qq (#5.1.3)\n"
    );
    assert_eq!(read(&d, "rc53"), "111\n");
    assert_eq!(
        read(&d, "err53"),
        "qmail-inject: fatal: qq write error or disk full (#4.3.0)\n"
    );
    assert_eq!(
        (read(&d, "rc0").as_str(), read(&d, "err0").as_str()),
        ("0\n", "")
    );
    assert_eq!(read(&d, "rcm"), "111\n");
    assert_eq!(
        read(&d, "errm"),
        "qmail-inject: fatal: unable to run qmail-queue\n"
    );
    let _ = fs::remove_dir_all(&d);
}

/// The body is streamed: 200 MB (one line, no newline at the end) go through a process
/// limited to 64 MB of address space, to -n and to qmail-queue, and arrive complete.
#[test]
fn body_is_streamed() {
    need_root!();
    let d = in_namespace(
        "printf '#!/bin/sh\\nwc -c > %s/qcount; cat <&1 > %s/env\\n' $T $T > $T/qq; chmod 755 $T/qq\n\
         gen() { printf 'To: a@x.y\\nSubject: big\\n\\n'; head -c 200000000 /dev/zero | tr '\\0' x; }\n\
         (ulimit -v 65536; gen | env - USER=u $B -n | wc -c > $T/ncount; echo $? > $T/rc)\n\
         (ulimit -v 65536; gen | env - USER=u QMAILQUEUE=$T/qq $B; echo $? > $T/qrc)",
    );
    let head = "Return-Path: <u@cmp.example>\nDate: 1 Jan 2020 00:00:00 -0000\nMessage-ID: <20200101000000.1.qmail@cmp.example>\nFrom: u@cmp.example\nTo: a@x.y\nSubject: big\n\n".len();
    // the generated fields' lengths vary with the date and pid: compare within a margin
    let n: usize = read(&d, "ncount").trim().parse().unwrap();
    assert!(
        n > 200_000_001 + head - 20 && n < 200_000_001 + head + 20,
        "{n}"
    );
    let q: usize = read(&d, "qcount").trim().parse().unwrap();
    assert_eq!(n - q, "Return-Path: <u@cmp.example>\n".len());
    assert_eq!(read(&d, "qrc"), "0\n");
    assert_eq!(read(&d, "env"), "Fu@cmp.example\0Ta@x.y\0\0");
    let _ = fs::remove_dir_all(&d);
}

/// The generated Date and Message-ID have qmail's exact shapes.
#[test]
fn generated_shapes() {
    need_root!();
    let d = in_namespace("printf 'Subject: s\\n\\n' | env - USER=u $B -n x > $T/out");
    let out = read(&d, "out");
    assert_eq!(
        normalise(&out),
        "Return-Path: <u@cmp.example>\nDate: <DATE>\nMessage-ID: <ID.qmail@cmp.example>\n\
         From: u@cmp.example\nCc: recipient list not shown: ;\nSubject: s\n\n"
    );
    let _ = fs::remove_dir_all(&d);
}
