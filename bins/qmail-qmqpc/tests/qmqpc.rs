//! Round trips: qmail-qmqpc → qmail-qmqpd under tcpserver on 127.0.0.1:628, inside a
//! private network and mount namespace (needs root, unshare(1), ip(8), tcpserver from
//! ucspi-tcp). A temporary directory is bind-mounted over the qmail home, and qmail-qmqpd's
//! $QMAILQUEUE is a script that keeps a message only when its envelope was complete.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::path::PathBuf;
use std::process::Command;

use qmail_core::auto::QMAIL;
use qmail_e2e::{FakeQueue, Receiver};

/// Inside the namespaces (the home already mounted): loopback up, the server (if any) listening,
/// then qmail-qmqpc with the message on fd 0 and the envelope on fd 1.
const SCRIPT: &str = r#"
ip link set lo up || exit 97
if [ -n "$SERVER" ]; then
  tcpserver -q -H -R -l mx.test 127.0.0.1 628 $SERVER &
  srv=$!
  i=0
  until python3 -c 'import socket; socket.create_connection(("127.0.0.1", 628), 1).close()' 2>/dev/null; do
    i=$((i+1)); [ $i -gt 200 ] && exit 99; sleep 0.05
  done
fi
"$QMQPC" < "$MSG" 1< "$ENV"
rc=$?
[ -n "$SERVER" ] && kill $srv
exit $rc
"#;

/// qmail-qmqpd from the same target directory (built on demand: Cargo only names the
/// binaries of the package under test).
fn qmqpd() -> PathBuf {
    qmail_e2e::home::sibling(env!("CARGO_BIN_EXE_qmail-qmqpc"), "qmail-qmqpd")
}

/// A home with control/me and qmqpservers, and for qmail-qmqpd a fake qmail-queue that
/// keeps complete envelopes only.
fn setup(tag: &str) -> Receiver {
    let h = Receiver::new(&format!("qmqpc-{tag}"), FakeQueue::strict());
    h.home.control("me", "client.example\n");
    h.home.control("qmqpservers", "127.0.0.1\n");
    h
}

/// qmail-qmqpc's exit code for `message` and `envelope`; `server` is the program
/// tcpserver runs per connection (None: nothing listens).
fn qmqpc(
    h: &Receiver,
    server: Option<&str>,
    env: &[(&str, &str)],
    message: &[u8],
    envelope: &[u8],
) -> i32 {
    let msg = h.home.write("msg", message);
    let fd1 = h.home.write("env", envelope);
    let mut c = h.home.netns_command("/bin/sh");
    c.args(["-c", SCRIPT])
        .env_clear()
        .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin")
        .env("MSG", msg)
        .env("ENV", fd1)
        .env("QMQPC", env!("CARGO_BIN_EXE_qmail-qmqpc"))
        .env("SERVER", server.unwrap_or(""));
    h.qq.env(&mut c).envs(env.iter().copied());
    let status = c.status().unwrap();
    status.code().unwrap_or(-1)
}

#[test]
fn round_trip_through_qmail_qmqpd() {
    let d = qmqpd();
    let h = setup("ok");
    let code = qmqpc(
        &h,
        Some(d.to_str().unwrap()),
        &[],
        b"Subject: mini\n\nvia qmqp\n",
        b"Fs@client.example\0Ta@x.example\0Tb@y.example\0\0",
    );
    assert_eq!(code, 0);
    let rec = h.qq.recorded();
    assert_eq!(rec.len(), 1);
    let m = String::from_utf8(rec[0].0.clone()).unwrap();
    let (l1, rest) = m.split_once('\n').unwrap();
    assert_eq!(l1, "Received: from unknown (127.0.0.1)");
    let (l2, body) = rest.split_once('\n').unwrap();
    assert!(l2.starts_with("  by mx.test with QMQP; "), "{l2}");
    assert_eq!(body, "Subject: mini\n\nvia qmqp\n");
    assert_eq!(
        rec[0].1,
        b"Fs@client.example\0Ta@x.example\0Tb@y.example\0\0"
    );
}

#[test]
fn verdicts_become_exit_codes() {
    let d = qmqpd();
    let d = d.to_str().unwrap();
    let h = setup("verdicts");
    let env = b"Fs@x\0Tr@y\0\0";
    // Z from the server: 71; D: 31.
    assert_eq!(qmqpc(&h, Some(d), &[("QQ_EXIT", "53")], b"m\n", env), 71);
    assert_eq!(qmqpc(&h, Some(d), &[("QQ_EXIT", "31")], b"m\n", env), 31);
    // An address qmail-qmqpd refuses (1000 bytes) is a D too.
    let long = [b"Fs@x\0T".to_vec(), vec![b'a'; 1000], b"\0\0".to_vec()].concat();
    assert_eq!(qmqpc(&h, Some(d), &[], b"m\n", &long), 31);
    assert!(h.qq.recorded().is_empty());
}

#[test]
fn servers_tried_in_order() {
    let d = qmqpd();
    let h = setup("order");
    // Nothing at all listens.
    assert_eq!(qmqpc(&h, None, &[], b"m\n", b"F\0Tr\0\0"), 73);
    // The first server refuses the connection, the second takes the message.
    h.home
        .control("qmqpservers", "# not an address\n127.0.0.2\n127.0.0.1\n");
    assert_eq!(
        qmqpc(&h, Some(d.to_str().unwrap()), &[], b"m\n", b"F\0Tr\0\0"),
        0
    );
    assert_eq!(h.qq.recorded().len(), 1);
    // A server that hangs up without answering: communication failed.
    assert_eq!(qmqpc(&h, Some("true"), &[], b"m\n", b"F\0Tr\0\0"), 74);
}

#[test]
fn local_problems() {
    let h = setup("local");
    // No server addresses at all: unable to read configuration.
    h.home.control("qmqpservers", "junk\n");
    assert_eq!(qmqpc(&h, None, &[], b"m\n", b"F\0Tr\0\0"), 55);
    std::fs::remove_file(h.home.path("control/qmqpservers")).unwrap();
    assert_eq!(qmqpc(&h, None, &[], b"m\n", b"F\0Tr\0\0"), 55);
    h.home.control("qmqpservers", "127.0.0.1\n");
    // Envelope format errors: 91; an envelope ending before its final NUL is one too.
    assert_eq!(qmqpc(&h, None, &[], b"m\n", b"Xs\0\0"), 91);
    assert_eq!(qmqpc(&h, None, &[], b"m\n", b"Fs\0Tr\0"), 91);
    assert_eq!(qmqpc(&h, None, &[], b"m\n", b""), 91);
    // Longer than qmail-queue takes: 11.
    let long = [b"F".to_vec(), vec![b'a'; 1100], b"\0\0".to_vec()].concat();
    assert_eq!(qmqpc(&h, None, &[], b"m\n", &long), 11);
    // A qmail home it cannot enter: 61.
    let s = format!(
        "mkdir -p {QMAIL} && mount -t tmpfs -o mode=000 none {QMAIL} && exec setpriv --reuid=65534 --regid=65534 --clear-groups {q} </dev/null",
        q = env!("CARGO_BIN_EXE_qmail-qmqpc")
    );
    let mut c = Command::new("unshare");
    c.args(["-m", "--propagation", "private", "sh", "-c", &s])
        .env_clear()
        .env("PATH", "/usr/bin:/bin");
    assert_eq!(c.status().unwrap().code(), Some(61));
}
