//! Black-box: the qmail-qmqpd binary over pipes, in a private mount namespace where a
//! temporary directory is bind-mounted over the qmail home (needs root and unshare(1)).
//! $QMAILQUEUE points at a script that, like qmail-queue, keeps a message only when its
//! envelope ended with the final NUL, and records what it kept.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use qmail_e2e::{FakeQueue, Receiver};

/// A home with control/me, and a fake qmail-queue that keeps complete envelopes only.
fn setup(tag: &str) -> Receiver {
    let h = Receiver::new(&format!("qmqpd-{tag}"), FakeQueue::strict());
    h.home.control("me", "cmp.example\n");
    h
}

/// Run a session with `input` on stdin; (exit code, stdout).
fn session(h: &Receiver, env: &[(&str, &str)], input: &[u8]) -> (i32, Vec<u8>) {
    let r = h.session(env!("CARGO_BIN_EXE_qmail-qmqpd"), env, input);
    (r.exit(), r.stdout)
}

fn ns(b: &[u8]) -> Vec<u8> {
    let mut v = format!("{}:", b.len()).into_bytes();
    v.extend_from_slice(b);
    v.push(b',');
    v
}

/// A QMQP request.
fn qmqp(message: &[u8], sender: &[u8], rcpts: &[&[u8]]) -> Vec<u8> {
    let mut inner = ns(message);
    inner.extend(ns(sender));
    for r in rcpts {
        inner.extend(ns(r));
    }
    ns(&inner)
}

/// The single answer, with `Kok <t> qp <p>` normalised.
fn answer(out: &[u8]) -> String {
    if out.is_empty() {
        return String::new();
    }
    let (p, rest) = qmail_netstring::parse(out).expect("the answer is a netstring");
    assert!(rest.is_empty(), "one answer only");
    let s = String::from_utf8_lossy(p).to_string();
    let w: Vec<&str> = s.split(' ').collect();
    if w.len() == 4 && w[0] == "Kok" && w[2] == "qp" && w[1].parse::<u64>().is_ok() {
        return "Kok <time> qp <pid>".to_string();
    }
    s
}

const PEER: &[(&str, &str)] = &[
    ("TCPREMOTEIP", "192.0.2.7"),
    ("TCPREMOTEHOST", "client.example"),
    ("TCPREMOTEINFO", "ident"),
    ("TCPLOCALIP", "192.0.2.1"),
];

#[test]
fn queues_one_message_for_anybody() {
    let h = setup("basic");
    let input = qmqp(
        b"Subject: qmqp\n\nbody\r\n",
        b"s@client.example",
        &[b"a@remote.example", b"b@elsewhere.example"],
    );
    let (code, out) = session(&h, PEER, &input);
    assert_eq!((code, answer(&out).as_str()), (0, "Kok <time> qp <pid>"));
    let rec = h.qq.recorded();
    assert_eq!(rec.len(), 1);
    let m = String::from_utf8(rec[0].0.clone()).unwrap();
    let (l1, rest) = m.split_once('\n').unwrap();
    assert_eq!(l1, "Received: from client.example (ident@192.0.2.7)");
    let (l2, body) = rest.split_once('\n').unwrap();
    assert!(
        l2.starts_with("  by 192.0.2.1 with QMQP; ") && l2.ends_with(" -0000"),
        "{l2}"
    );
    assert_eq!(body, "Subject: qmqp\n\nbody\r\n");
    assert_eq!(
        rec[0].1,
        b"Fs@client.example\0Ta@remote.example\0Tb@elsewhere.example\0\0"
    );
}

#[test]
fn no_recipients_and_empty_sender() {
    let h = setup("norcpt");
    let (code, out) = session(&h, &[], &qmqp(b"x", b"", &[]));
    assert_eq!((code, answer(&out).as_str()), (0, "Kok <time> qp <pid>"));
    let rec = h.qq.recorded();
    assert!(rec[0]
        .0
        .starts_with(b"Received: from unknown (unknown)\n  by unknown with QMQP; "));
    assert_eq!(rec[0].1, b"F\0\0");
}

#[test]
fn bad_addresses_refused_nothing_queued() {
    let h = setup("addr");
    let long = vec![b'a'; 1000];
    let ok = vec![b'a'; 999];
    let refused = "Dsorry, I can't accept addresses like that (#5.1.3)";
    for input in [
        qmqp(b"x", b"s@x", &[&long]),
        qmqp(b"x", &long, &[b"r@x"]),
        qmqp(b"x", b"s\0@x", &[b"r@x"]),
        qmqp(b"x", b"s@x", &[b"r@x", b"r\0@x"]),
    ] {
        let (code, out) = session(&h, &[], &input);
        assert_eq!((code, answer(&out).as_str()), (0, refused));
    }
    assert!(h.qq.recorded().is_empty());
    let (_, out) = session(&h, &[], &qmqp(b"x", &ok, &[&ok]));
    assert_eq!(answer(&out), "Kok <time> qp <pid>");
    assert_eq!(h.qq.recorded().len(), 1);
}

#[test]
fn malformed_requests_exit_100_nothing_queued() {
    let h = setup("malformed");
    let good = qmqp(b"x", b"s@x", &[b"r@x"]);
    let mut no_final_comma = good.clone();
    *no_final_comma.last_mut().unwrap() = b';';
    let cases: Vec<Vec<u8>> = vec![
        b"x:junk".to_vec(),
        b"1/:".to_vec(),
        // the outer length may take at most 100 bytes
        [vec![b'0'; 100], b"6:0:,0:,,".to_vec()].concat(),
        no_final_comma,
        // a recipient running past the outer netstring
        b"12:1:x,3:s@x,9:r@x,,".to_vec(),
        // the message netstring is longer than the request
        b"9:100:xxxxxx".to_vec(),
        // a non-digit inside
        b"10:1:x,2:a-:,,".to_vec(),
        // message not followed by a comma
        b"9:1:xx3:s@x,,".to_vec(),
    ];
    for (i, input) in cases.iter().enumerate() {
        let (code, out) = session(&h, &[], input);
        assert_eq!((code, out), (100, vec![]), "case {i}");
    }
    assert!(h.qq.recorded().is_empty());
    // A length of exactly 100 bytes with its colon still fits.
    let (code, out) = session(&h, &[], &[vec![b'0'; 97], good].concat());
    assert_eq!((code, answer(&out).as_str()), (0, "Kok <time> qp <pid>"));
}

#[test]
fn huge_length_is_temporary_eof_is_silent() {
    let h = setup("huge");
    let (code, out) = session(&h, &[], b"12345678901:");
    assert_eq!((code, out), (111, vec![]));
    let (code, out) = session(&h, &[], b"100:5:abc");
    assert_eq!((code, out), (0, vec![]));
    assert!(h.qq.recorded().is_empty());
}

#[test]
fn qmail_queue_failure_is_the_answer() {
    let h = setup("qq");
    let (code, out) = session(&h, &[("QQ_EXIT", "53")], &qmqp(b"x", b"s@x", &[b"r@x"]));
    assert_eq!(
        (code, answer(&out).as_str()),
        (0, "Zqq write error or disk full (#4.3.0)")
    );
    let (_, out) = session(&h, &[("QQ_EXIT", "31")], &qmqp(b"x", b"s@x", &[b"r@x"]));
    assert_eq!(
        answer(&out),
        "Dmail server permanently rejected message (#5.3.0)"
    );
}
