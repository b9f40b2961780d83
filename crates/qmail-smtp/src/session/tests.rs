use super::*;
use crate::fuzzing::{carry_out, drive, test_config, Transcript, NOW, QP};
use crate::rcpthosts::{LookupError, MoreRcptHosts};

fn run(input: &str) -> Transcript {
    drive(test_config(), &[input.as_bytes()], true)
}

fn run_with(cfg: Config, input: &[u8]) -> Transcript {
    drive(cfg, &[input], true)
}

fn replies(t: &Transcript) -> String {
    String::from_utf8_lossy(&t.replies).into_owned()
}

const GREET: &str = "220 cmp.example ESMTP\r\n";

#[test]
fn greeting_and_quit() {
    let t = run("QUIT\r\n");
    assert_eq!(replies(&t), format!("{GREET}221 cmp.example\r\n"));
    assert_eq!(t.exit, Some(0));
}

#[test]
fn helo_ehlo() {
    let t = run("HELO x\r\nehlo x\r\n");
    assert_eq!(
        replies(&t),
        format!("{GREET}250 cmp.example\r\n250-cmp.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
    );
    assert_eq!(t.exit, Some(1), "EOF without QUIT exits 1");
}

#[test]
fn simple_replies() {
    let t = run("RSET\r\nNOOP\r\nVRFY root\r\nHELP\r\nEXPN root\r\nTURN\r\nAUTH LOGIN\r\nSTARTTLS\r\n\r\nQUIT\r\n");
    assert_eq!(
        replies(&t),
        format!(
            "{GREET}250 flushed\r\n250 ok\r\n252 send some mail, i'll try my best\r\n\
             214 notqmail home page: https://notqmail.org\r\n\
             502 unimplemented (#5.5.1)\r\n502 unimplemented (#5.5.1)\r\n\
             502 unimplemented (#5.5.1)\r\n502 unimplemented (#5.5.1)\r\n\
             502 unimplemented (#5.5.1)\r\n221 cmp.example\r\n"
        )
    );
}

#[test]
fn lf_only_command_lines_work() {
    let t = run("NOOP\nQUIT\n");
    assert_eq!(replies(&t), format!("{GREET}250 ok\r\n221 cmp.example\r\n"));
}

#[test]
fn eof_and_partial_line() {
    let t = run("NOOP\r\nQUI");
    assert_eq!(replies(&t), format!("{GREET}250 ok\r\n"));
    assert_eq!(t.exit, Some(1));
}

#[test]
fn timeout() {
    let mut s = Session::new(test_config());
    let mut t = Transcript::default();
    let acts = s.on_timeout();
    carry_out(&mut s, acts, &mut t, false);
    assert_eq!(replies(&t), "451 timeout (#4.4.2)\r\n");
    assert_eq!(t.exit, Some(1));
}

#[test]
fn timeout_in_data_aborts() {
    let mut s = Session::new(test_config());
    let mut t = Transcript::default();
    let acts = s.on_bytes(b"MAIL FROM:<a@b>\r\nRCPT TO:<c@cmp.example>\r\nDATA\r\nSubject: x\r\n");
    carry_out(&mut s, acts, &mut t, false);
    let acts = s.on_timeout();
    assert_eq!(acts.first(), Some(&Action::QueueAbort));
    carry_out(&mut s, acts, &mut t, false);
    assert!(t.queued().is_empty());
    assert_eq!(t.exit, Some(1));
}

/// The smtpd-sequence compliance scenario, reply for reply.
#[test]
fn sequence() {
    let t = run(concat!(
        "RCPT TO:<qcmp@cmp.example>\r\n",
        "DATA\r\n",
        "MAIL FROM:<first@client.example>\r\n",
        "DATA\r\n",
        "MAIL FROM:<second@client.example>\r\n",
        "RCPT TO:<qcmp@cmp.example>\r\n",
        "RSET\r\n",
        "RCPT TO:<qcmp@cmp.example>\r\n",
        "DATA\r\n",
        "MAIL FROM:<third@client.example>\r\n",
        "RCPT TO:<qcmp@cmp.example>\r\n",
        "HELO again.example\r\n",
        "RCPT TO:<qcmp@cmp.example>\r\n",
        "MAIL FROM:<fourth@client.example>\r\n",
        "RCPT TO:<qcmp@cmp.example>\r\n",
        "DATA\r\n",
        "Subject: sent without HELO before MAIL\r\n\r\nbody\r\n.\r\n",
        "RCPT TO:<qcmp@cmp.example>\r\n",
        "DATA\r\n",
        "QUIT\r\n",
    ));
    let want = [
        "220 cmp.example ESMTP",
        "503 MAIL first (#5.5.1)",
        "503 MAIL first (#5.5.1)",
        "250 ok",
        "503 RCPT first (#5.5.1)",
        "250 ok",
        "250 ok",
        "250 flushed",
        "503 MAIL first (#5.5.1)",
        "503 MAIL first (#5.5.1)",
        "250 ok",
        "250 ok",
        "250 cmp.example",
        "503 MAIL first (#5.5.1)",
        "250 ok",
        "250 ok",
        "354 go ahead",
        &format!("250 ok {NOW} qp {QP}"),
        "503 MAIL first (#5.5.1)",
        "503 MAIL first (#5.5.1)",
        "221 cmp.example",
    ];
    assert_eq!(replies(&t), want.map(|l| format!("{l}\r\n")).concat());
    let q = t.queued();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].sender, b"fourth@client.example");
    assert_eq!(q[0].recipients, vec![b"qcmp@cmp.example".to_vec()]);
    assert_eq!(
        q[0].message,
        b"Received: from unknown (HELO again.example) (127.0.0.1)\n  by cmp.example with SMTP; 27 Nov 2026 00:02:22 -0000\nSubject: sent without HELO before MAIL\n\nbody\n"
    );
}

#[test]
fn no_helo_no_helo_part() {
    let t = run("MAIL FROM:<a@b>\r\nRCPT TO:<c@cmp.example>\r\nDATA\r\nx\r\n.\r\n");
    assert!(t.queued()[0]
        .message
        .starts_with(b"Received: from unknown (127.0.0.1)\n  by cmp.example"));
}

#[test]
fn helo_equal_to_remote_host_is_not_shown() {
    let mut cfg = test_config();
    cfg.peer.remotehost = b"client.example".to_vec();
    cfg.peer.remoteinfo = Some(b"identuser".to_vec());
    let t = run_with(
        cfg,
        b"HELO Client.Example\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@cmp.example>\r\nDATA\r\nx\r\n.\r\n",
    );
    assert!(t.queued()[0].message.starts_with(
        b"Received: from client.example (identuser@127.0.0.1)\n  by cmp.example with SMTP; "
    ));
}

/// The smtpd-address-forms compliance scenario: replies and the recipients stored.
#[test]
fn address_forms() {
    let long = "l".repeat(882);
    let input = format!(
        "HELO client.example\r\n\
         MAIL FROM:<>\r\n\
         RCPT TO:<qcmp-empty-sender@cmp.example>\r\n\
         MAIL FROM:plain@client.example\r\n\
         RCPT TO:qcmp-nobrackets@cmp.example\r\n\
         RCPT TO: qcmp-space-after-colon@cmp.example\r\n\
         RCPT TO:<@relay1.example,@relay2.example:qcmp-routed@cmp.example>\r\n\
         RCPT TO:<qcmp-pct%elsewhere.example@cmp.example>\r\n\
         RCPT TO:<\"qcmp-quoted\"@cmp.example>\r\n\
         RCPT TO:<\"qcmp-with space\"@cmp.example>\r\n\
         RCPT TO:<qcmp-back\\\\slash@cmp.example>\r\n\
         RCPT TO:<qcmp-trailing-dot@cmp.example.>\r\n\
         RCPT TO:<qcmp-upper@CMP.EXAMPLE>\r\n\
         RCPT TO:<qcmp-params@cmp.example> NOTIFY=NEVER ORCPT=rfc822;x@y\r\n\
         RCPT TO:<qcmp-angle>more>@cmp.example>\r\n\
         RCPT TO:<qcmp-noat>\r\n\
         RCPT TO:<qcmp-literal@[127.0.0.1]>\r\n\
         RCPT TO:<qcmp-{long}@cmp.example>\r\n\
         RCPT TO:<qcmp-{long}x@cmp.example>\r\n\
         DATA\r\n\
         Subject: address forms\r\n\r\nbody\r\n.\r\n\
         QUIT\r\n"
    );
    let t = run(&input);
    let nogw = "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)";
    let mut want = vec!["220 cmp.example ESMTP", "250 cmp.example"];
    want.extend(["250 ok"; 10]);
    want.push(nogw);
    want.extend(["250 ok"; 5]);
    want.extend(["250 ok", "555 syntax error (#5.5.4)", "354 go ahead"]);
    let accept = format!("250 ok {NOW} qp {QP}");
    want.push(&accept);
    want.push("221 cmp.example");
    assert_eq!(
        replies(&t),
        want.iter().map(|l| format!("{l}\r\n")).collect::<String>()
    );
    let q = t.queued();
    assert_eq!(q[0].sender, b"plain@client.example");
    let rcpts: Vec<String> = q[0]
        .recipients
        .iter()
        .map(|r| String::from_utf8_lossy(r).into_owned())
        .collect();
    assert_eq!(
        rcpts,
        vec![
            "qcmp-nobrackets@cmp.example".to_string(),
            "qcmp-space-after-colon@cmp.example".into(),
            "qcmp-routed@cmp.example".into(),
            "qcmp-pct%elsewhere.example@cmp.example".into(),
            "qcmp-quoted@cmp.example".into(),
            "qcmp-with space@cmp.example".into(),
            "qcmp-back\\slash@cmp.example".into(),
            "qcmp-upper@CMP.EXAMPLE".into(),
            "qcmp-params@cmp.example".into(),
            "qcmp-angle".into(),
            "qcmp-noat".into(),
            "qcmp-literal@cmp.example".into(),
            format!("qcmp-{long}@cmp.example"),
        ]
    );
}

#[test]
fn mail_syntax_error_keeps_state() {
    let big = "x".repeat(900);
    let t = run(&format!("MAIL FROM:<{big}>\r\nRCPT TO:<a@cmp.example>\r\n"));
    assert_eq!(
        replies(&t),
        format!("{GREET}555 syntax error (#5.5.4)\r\n503 MAIL first (#5.5.1)\r\n")
    );
}

#[test]
fn badmailfrom_rejects_at_rcpt() {
    let t = run("MAIL FROM:<x@BAD.example>\r\nRCPT TO:<a@cmp.example>\r\nRCPT TO:<a@remote.example>\r\nMAIL FROM:<>\r\nRCPT TO:<a@cmp.example>\r\n");
    let bmf = "553 sorry, your envelope sender is in my badmailfrom list (#5.7.1)";
    assert_eq!(
        replies(&t),
        format!("{GREET}250 ok\r\n{bmf}\r\n{bmf}\r\n250 ok\r\n250 ok\r\n")
    );
}

#[test]
fn relayclient_appends_and_skips_rcpthosts() {
    let mut cfg = test_config();
    cfg.relayclient = Some(b"".to_vec());
    let t = run_with(
        cfg,
        b"MAIL FROM:<a@b>\r\nRCPT TO:<x@remote.example>\r\nDATA\r\nx\r\n.\r\n",
    );
    assert_eq!(t.queued()[0].recipients, vec![b"x@remote.example".to_vec()]);
    let mut cfg = test_config();
    cfg.relayclient = Some(b"-suffix".to_vec());
    let t = run_with(
        cfg,
        b"MAIL FROM:<a@b>\r\nRCPT TO:<x@remote.example>\r\nDATA\r\nx\r\n.\r\n",
    );
    assert_eq!(
        t.queued()[0].recipients,
        vec![b"x@remote.example-suffix".to_vec()]
    );
}

#[test]
fn open_relay_forms() {
    for rcpt in [
        "victim@remote.example",
        "victim@cmp.example.",
        "victim@[10.0.0.1]",
        "@cmp.example:victim@remote.example",
        "victim@cmp.example@remote.example",
        "\"victim@cmp.example\"@remote.example",
        "cmp.example!victim@remote.example",
        "victim%cmp.example@remote.example",
    ] {
        let t = run(&format!("MAIL FROM:<a@b>\r\nRCPT TO:<{rcpt}>\r\n"));
        assert!(
            replies(&t).ends_with(
                "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)\r\n"
            ),
            "{rcpt}"
        );
    }
}

struct BrokenCdb;
impl MoreRcptHosts for BrokenCdb {
    fn contains(&self, _: &[u8]) -> Result<bool, LookupError> {
        Err(LookupError)
    }
}

#[test]
fn unreadable_morercpthosts_is_421() {
    let mut cfg = test_config();
    cfg.rcpthosts = RcptHosts::new(vec![b"cmp.example".to_vec()], Some(Box::new(BrokenCdb)));
    let t = run_with(
        cfg,
        b"MAIL FROM:<a@b>\r\nRCPT TO:<a@cmp.example>\r\nRCPT TO:<a@other.example>\r\nNOOP\r\n",
    );
    assert_eq!(
        replies(&t),
        format!("{GREET}250 ok\r\n250 ok\r\n421 unable to read controls (#4.3.0)\r\n")
    );
    assert_eq!(t.exit, Some(1));
}

#[test]
fn qqt_failure() {
    let mut s = Session::new(test_config());
    let mut t = Transcript::default();
    let acts = s.on_bytes(b"MAIL FROM:<a@b>\r\nRCPT TO:<c@cmp.example>\r\nDATA\r\nDATA\r\n");
    carry_out(&mut s, acts, &mut t, true);
    assert_eq!(
        replies(&t),
        "250 ok\r\n250 ok\r\n451 qqt failure (#4.3.0)\r\n503 MAIL first (#5.5.1)\r\n"
    );
}

#[test]
fn qq_reports() {
    for (report, want) in [
        (
            &b"Zqq write error or disk full (#4.3.0)"[..],
            "451 qq write error or disk full (#4.3.0)\r\n",
        ),
        (
            b"Dmessage refused by filter (#5.7.1)",
            "554 message refused by filter (#5.7.1)\r\n",
        ),
    ] {
        let mut s = Session::new(test_config());
        let acts = s.on_bytes(b"MAIL FROM:<a@b>\r\nRCPT TO:<c@cmp.example>\r\nDATA\r\n");
        assert_eq!(acts.last(), Some(&Action::QueueOpen));
        let acts = s.on_queue_open(Some(7), NOW);
        assert_eq!(
            acts.first(),
            Some(&Action::Reply(b"354 go ahead\r\n".to_vec()))
        );
        let acts = s.on_bytes(b"x\r\n.\r\nNOOP\r\n");
        assert!(matches!(acts.last(), Some(Action::QueueClose { .. })));
        let acts = s.on_queue_close(Err(report), NOW);
        assert_eq!(
            acts,
            vec![
                Action::Reply(want.as_bytes().to_vec()),
                Action::Reply(b"250 ok\r\n".to_vec())
            ]
        );
    }
}

#[test]
fn hops_554_after_all_data() {
    let mut data = String::new();
    for _ in 0..100 {
        data.push_str("Received: x\r\n");
    }
    data.push_str("\r\nbody\r\n.\r\n");
    let t = run(&format!(
        "MAIL FROM:<a@b>\r\nRCPT TO:<c@cmp.example>\r\nDATA\r\n{data}NOOP\r\n"
    ));
    assert!(replies(&t).ends_with(
        "354 go ahead\r\n554 too many hops, this message is looping (#5.4.6)\r\n250 ok\r\n"
    ));
    assert!(t.queued().is_empty());
}

#[test]
fn databytes_552_after_all_data() {
    let mut cfg = test_config();
    cfg.databytes = 10;
    let t = run_with(
        cfg,
        b"MAIL FROM:<a@b>\r\nRCPT TO:<c@cmp.example>\r\nDATA\r\n0123456789\r\nmore\r\n.\r\nNOOP\r\n",
    );
    assert!(replies(&t).ends_with(
        "354 go ahead\r\n552 sorry, that message size exceeds my databytes limit (#5.3.4)\r\n250 ok\r\n"
    ));
    assert!(t.queued().is_empty());
    let mut cfg = test_config();
    cfg.databytes = 10;
    let t = run_with(
        cfg,
        b"MAIL FROM:<a@b>\r\nRCPT TO:<c@cmp.example>\r\nDATA\r\n012345678\r\n.\r\n",
    );
    assert_eq!(t.queued().len(), 1);
}

#[test]
fn stray_lf_ends_the_session() {
    let t = run(concat!(
        "MAIL FROM:<probe@client.example>\r\nRCPT TO:<qcmp@cmp.example>\r\nDATA\r\n",
        "Subject: smuggle\r\n\r\nfirst part\n.\r\n",
        "MAIL FROM:<smuggler@client.example>\r\nRCPT TO:<qcmp@cmp.example>\r\nDATA\r\n",
        "Subject: SMUGGLED\r\n\r\nsmuggled body\r\n.\r\nQUIT\r\n",
    ));
    assert!(replies(&t).ends_with("354 go ahead\r\n451 See https://cr.yp.to/docs/smtplf.html.\r\n"));
    assert_eq!(t.exit, Some(1));
    assert!(t.queued().is_empty());
    assert_eq!(t.submissions.len(), 1);
    assert!(t.submissions[0].aborted);
}

#[test]
fn smuggling_near_misses_stay_in_one_message() {
    // A CR without LF before the dot is data: the smuggled commands stay inside the one
    // message from a@b, and the session goes on to QUIT.
    for near in ["\r.\r\n", "\r\n.\r"] {
        let t = run(&format!(
            "MAIL FROM:<a@b>\r\nRCPT TO:<c@cmp.example>\r\nDATA\r\nx{near}MAIL FROM:<s@b>\r\nRCPT TO:<c@cmp.example>\r\nDATA\r\nsmuggled\r\n.\r\nQUIT\r\n"
        ));
        let q = t.queued();
        assert_eq!(q.len(), 1, "{near:?}");
        assert_eq!(q[0].sender, b"a@b", "{near:?}");
        let m = &q[0].message;
        assert!(
            m.windows(15).any(|w| w == b"MAIL FROM:<s@b>") && m.ends_with(b"smuggled\n"),
            "{near:?}: {:?}",
            String::from_utf8_lossy(m)
        );
        let accepted = format!("354 go ahead\r\n250 ok {NOW} qp {QP}\r\n221 cmp.example\r\n");
        assert!(replies(&t).ends_with(&accepted), "{near:?}");
        assert_eq!(t.exit, Some(0), "{near:?}");
    }
    // A bare LF next to the dot is refused (qmail's smtplf answer): nothing is queued and
    // the smuggled commands are never executed.
    for near in ["\r\n.\n", "\n.\n", "\n.\r\n"] {
        let t = run(&format!(
            "MAIL FROM:<a@b>\r\nRCPT TO:<c@cmp.example>\r\nDATA\r\nx{near}MAIL FROM:<s@b>\r\nRCPT TO:<c@cmp.example>\r\nDATA\r\nsmuggled\r\n.\r\nQUIT\r\n"
        ));
        assert!(t.queued().is_empty(), "{near:?}");
        assert!(
            replies(&t).ends_with("354 go ahead\r\n451 See https://cr.yp.to/docs/smtplf.html.\r\n"),
            "{near:?}"
        );
        assert_eq!(t.exit, Some(1), "{near:?}");
    }
}

#[test]
fn eof_in_data_aborts() {
    let t = run("MAIL FROM:<a@b>\r\nRCPT TO:<c@cmp.example>\r\nDATA\r\nSubject: x\r\n");
    assert_eq!(t.exit, Some(1));
    assert!(t.queued().is_empty());
    assert!(t.submissions[0].aborted);
}

#[test]
fn nul_and_long_lines() {
    let mut input =
        b"MAIL FROM:<a@b>\r\nRCPT TO:<c@cmp.example>\r\nDATA\r\nS: \0x\r\n\r\n".to_vec();
    input.extend(std::iter::repeat(b'a').take(1 << 20));
    input.extend_from_slice(b"\r\n.\r\n");
    let t = run_with(test_config(), &input);
    let m = &t.queued()[0].message;
    let body = m.splitn(3, |&b| b == b'\n').nth(2).unwrap();
    assert!(body.starts_with(b"S: \0x\n\n"));
    assert_eq!(body.len(), 7 + (1 << 20) + 1);
}

#[test]
fn pipelined_session_then_quit() {
    let t = run("EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@cmp.example>\r\nDATA\r\nhi\r\n.\r\nMAIL FROM:<d@b>\r\nRCPT TO:<e@cmp.example>\r\nDATA\r\nho\r\n.\r\nQUIT\r\n");
    assert_eq!(t.queued().len(), 2);
    assert_eq!(t.exit, Some(0));
    assert!(replies(&t).ends_with("221 cmp.example\r\n"));
}

/// The same bytes give the same replies and submissions however they are cut into
/// reads: at every single byte boundary, and one byte at a time.
#[test]
fn split_at_every_byte_boundary() {
    let input: &[u8] = b"EHLO client.example\r\nMAIL FROM:<a@b> SIZE=10\r\nRCPT TO:<c@cmp.example>\r\n\
RCPT TO:<d@remote.example>\r\nDATA\r\nReceived: x\r\nSubject: y\r\n\r\n..dot\r\nx\ry\r\n.\rz\r\n.\r\n\
MAIL FROM:<x@bad.example>\r\nRCPT TO:<c@cmp.example>\r\nRSET\r\nNOOP\nVRFY\r\nDATA\r\nQUIT\r\nNOOP\r\n";
    let whole = drive(test_config(), &[input], true);
    assert_eq!(whole.exit, Some(0));
    assert_eq!(whole.queued().len(), 1);
    for cut in 0..=input.len() {
        let (a, b) = input.split_at(cut);
        assert_eq!(drive(test_config(), &[a, b], true), whole, "cut at {cut}");
    }
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(drive(test_config(), &bytes, true), whole);
}

#[test]
fn overlong_command_line_is_dropped_and_answered_500() {
    // LINE_MAX bytes before the LF, the CR included; then one more
    let fits = format!("NOOP {}\r\n", "x".repeat(LINE_MAX - 6));
    let long = format!("NOOP {}\r\n", "x".repeat(LINE_MAX - 5));
    let huge = "y".repeat(10 * LINE_MAX);
    let input = format!("{fits}{long}{huge}\nNOOP\r\nQUIT\r\n");
    let whole = run(&input);
    assert_eq!(
        replies(&whole),
        format!(
            "{GREET}250 ok\r\n500 line too long (#5.5.2)\r\n500 line too long (#5.5.2)\r\n\
             250 ok\r\n221 cmp.example\r\n"
        )
    );
    // fed a byte at a time, or in two pieces anywhere, the session keeps at most a line
    let bytes: Vec<&[u8]> = input.as_bytes().chunks(1).collect();
    assert_eq!(drive(test_config(), &bytes, true), whole);
    for cut in (0..input.len()).step_by(97) {
        let (a, b) = input.as_bytes().split_at(cut);
        assert_eq!(drive(test_config(), &[a, b], true), whole, "cut at {cut}");
    }
}

#[test]
fn overlong_line_in_progress_then_eof() {
    let t = run(&"z".repeat(3 * LINE_MAX));
    assert_eq!(replies(&t), GREET);
    assert_eq!(t.exit, Some(1));
}

#[test]
fn recipient_count_limit_452() {
    let mut input = String::from("MAIL FROM:<a@b>\r\n");
    for i in 0..RCPT_MAX + 3 {
        input.push_str(&format!("RCPT TO:<r{i}@cmp.example>\r\n"));
    }
    input.push_str("DATA\r\nx\r\n.\r\nMAIL FROM:<a@b>\r\nRCPT TO:<again@cmp.example>\r\n");
    let t = run(&input);
    let r = replies(&t);
    assert_eq!(r.matches("452 too many recipients (#4.5.3)\r\n").count(), 3);
    assert_eq!(t.queued()[0].recipients.len(), RCPT_MAX);
    // the next message starts afresh
    assert!(
        r.ends_with("250 ok\r\n250 ok\r\n"),
        "{}",
        &r[r.len() - 80..]
    );
}

#[test]
fn recipient_bytes_limit_452() {
    // addresses of 896 bytes: 585 fit in RCPT_BYTES_MAX
    let local = "l".repeat(880);
    let mut input = String::from("MAIL FROM:<a@b>\r\n");
    for i in 0..600 {
        input.push_str(&format!("RCPT TO:<{local}{i:04}@cmp.example>\r\n"));
    }
    input.push_str("DATA\r\nx\r\n.\r\n");
    let t = run(&input);
    let fit = RCPT_BYTES_MAX / 896;
    assert_eq!(t.queued()[0].recipients.len(), fit);
    let r = replies(&t);
    assert_eq!(
        r.matches("452 too many recipients (#4.5.3)\r\n").count(),
        600 - fit
    );
}

proptest::proptest! {
    /// Overlong lines among commands: cutting the input anywhere changes nothing, and
    /// the session never keeps more than a line (drive checks).
    #[test]
    fn overlong_lines_any_split(
        input in proptest::collection::vec(proptest::prop_oneof![
            proptest::strategy::Just(b"NOOP\r\n".to_vec()),
            proptest::strategy::Just(vec![b'A'; LINE_MAX]),
            proptest::strategy::Just(vec![b'B'; LINE_MAX + 1]),
            proptest::strategy::Just(b"\r\n".to_vec()),
            proptest::strategy::Just(b"\n".to_vec()),
            proptest::strategy::Just(b"MAIL FROM:<a@b>\r\n".to_vec()),
            proptest::strategy::Just(b"RCPT TO:<c@cmp.example>\r\n".to_vec()),
        ], 0..12),
        cut in 0usize..30_000) {
        let input: Vec<u8> = input.concat();
        let whole = drive(test_config(), &[&input], true);
        let (a, b) = input.split_at(cut.min(input.len()));
        proptest::prop_assert_eq!(drive(test_config(), &[a, b], true), whole);
    }
}

proptest::proptest! {
    #[test]
    fn any_split_same_transcript(
        input in proptest::collection::vec(proptest::prop_oneof![
            proptest::strategy::Just(&b"MAIL FROM:<a@b>\r\n"[..]),
            proptest::strategy::Just(&b"RCPT TO:<c@cmp.example>\r\n"[..]),
            proptest::strategy::Just(&b"DATA\r\n"[..]),
            proptest::strategy::Just(&b".\r\n"[..]),
            proptest::strategy::Just(&b"x\r\n"[..]),
            proptest::strategy::Just(&b"\r"[..]),
            proptest::strategy::Just(&b"\n"[..]),
            proptest::strategy::Just(&b"."[..]),
            proptest::strategy::Just(&b"RSET\r\n"[..]),
        ], 0..30),
        cuts in proptest::collection::vec(0usize..400, 0..5)) {
        let input: Vec<u8> = input.concat();
        let whole = drive(test_config(), &[&input], true);
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(input.len())).collect();
        cuts.sort_unstable();
        let mut chunks = Vec::new();
        let mut prev = 0;
        for c in cuts {
            chunks.push(&input[prev..c]);
            prev = c;
        }
        chunks.push(&input[prev..]);
        proptest::prop_assert_eq!(drive(test_config(), &chunks, true), whole);
    }
}

proptest::proptest! {
    /// Arbitrary bytes: no panic, and a cut anywhere changes nothing (the fuzz target).
    #[test]
    fn arbitrary_bytes(data in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
        crate::fuzzing::fuzz_command(&data);
    }

    #[test]
    fn arbitrary_address(data in proptest::collection::vec(proptest::num::u8::ANY, 0..1200)) {
        crate::fuzzing::fuzz_address(&data);
    }

    #[test]
    fn arbitrary_data(data in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
        crate::fuzzing::fuzz_data(&data);
    }
}

fn run_tls(input: &str) -> Transcript {
    drive(crate::fuzzing::tls_config(), &[input.as_bytes()], true)
}

#[test]
fn starttls_offered_only_behind_the_engine_and_only_once() {
    let t = drive(
        Config {
            auth: false,
            ..crate::fuzzing::tls_config()
        },
        &[b"EHLO x\r\nSTARTTLS\r\n", b"EHLO x\r\nSTARTTLS\r\nQUIT\r\n"],
        true,
    );
    assert_eq!(
        replies(&t),
        format!(
            "{GREET}250-cmp.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-STARTTLS\r\n250 SIZE\r\n\
             250-cmp.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE\r\n\
             503 TLS already active (#5.5.1)\r\n221 cmp.example\r\n"
        )
    );
    let t = run_tls("STARTTLS now\r\nQUIT\r\n");
    assert_eq!(
        replies(&t),
        format!("{GREET}501 Syntax error (no parameters allowed) (#5.5.4)\r\n221 cmp.example\r\n")
    );
}

#[test]
fn clear_text_pipelined_after_starttls_is_never_executed() {
    // CVE-2011-0411: the RSET and MAIL came in clear text before the handshake.
    let t = run_tls("EHLO x\r\nMAIL FROM:<a@b>\r\nSTARTTLS\r\nRSET\r\nMAIL FROM:<evil@x>\r\n");
    let r = replies(&t);
    assert!(!r.contains("flushed"), "{r}");
    assert_eq!(r.matches("250 ok").count(), 1, "{r}");
    // And the MAIL before STARTTLS is forgotten: RCPT needs a new MAIL.
    let t = run_tls("MAIL FROM:<a@b>\r\nSTARTTLS\r\n");
    let mut s = Session::new(crate::fuzzing::tls_config());
    let mut t2 = Transcript::default();
    let acts = s.on_bytes(b"MAIL FROM:<a@b>\r\nSTARTTLS\r\nRCPT TO:<c@cmp.example>\r\n");
    carry_out(&mut s, acts, &mut t2, false);
    let acts = s.on_bytes(b"RCPT TO:<c@cmp.example>\r\n");
    carry_out(&mut s, acts, &mut t2, false);
    assert!(
        replies(&t2).ends_with("503 MAIL first (#5.5.1)\r\n"),
        "{}",
        replies(&t2)
    );
    assert_eq!(s.tls(), Some(crate::fuzzing::TLS));
    assert!(replies(&t).ends_with("250 ok\r\n"));
}

#[test]
fn tls_unavailable_goes_on_in_clear_text() {
    let mut s = Session::new(crate::fuzzing::tls_config());
    let acts = s.on_bytes(b"STARTTLS\r\nNOOP\r\n");
    assert_eq!(acts, vec![Action::StartTls]);
    let acts = s.on_tls(None);
    assert_eq!(
        acts,
        vec![
            Action::Reply(reply::TLS_UNAVAILABLE.to_vec()),
            Action::Reply(reply::OK.to_vec())
        ]
    );
    assert_eq!(s.tls(), None);
}

#[test]
fn received_line_says_encrypted() {
    let t = drive(
        crate::fuzzing::tls_config(),
        &[
            b"EHLO x\r\nSTARTTLS\r\n",
            b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@cmp.example>\r\nDATA\r\nhi\r\n.\r\n",
        ],
        true,
    );
    let q = t.queued();
    assert_eq!(q.len(), 1);
    let m = String::from_utf8_lossy(&q[0].message).into_owned();
    assert!(
        m.starts_with("Received: from unknown (HELO c) (127.0.0.1)\n  by cmp.example with (TLSv1.3 TLS13_AES_256_GCM_SHA384 encrypted) SMTP; "),
        "{m}"
    );
}

#[test]
fn implicit_tls_offers_no_starttls() {
    let cfg = Config {
        tls: Some(b"TLSv1.2 X".to_vec()),
        auth: false,
        ..crate::fuzzing::tls_config()
    };
    let t = drive(cfg, &[b"EHLO x\r\nSTARTTLS\r\n"], true);
    assert_eq!(
        replies(&t),
        format!("{GREET}250-cmp.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE\r\n503 TLS already active (#5.5.1)\r\n")
    );
}

fn auth_session(chunks: &[&[u8]]) -> String {
    let mut all: Vec<&[u8]> = vec![b"STARTTLS\r\n"];
    all.extend_from_slice(chunks);
    let t = drive(crate::fuzzing::tls_config(), &all, true);
    replies(&t)
}

#[test]
fn auth_offered_only_inside_tls() {
    let t = drive(
        crate::fuzzing::tls_config(),
        &[
            b"EHLO x\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nSTARTTLS\r\n",
            b"EHLO x\r\n",
        ],
        true,
    );
    let r = replies(&t);
    assert!(
        r.contains("250-STARTTLS\r\n250 SIZE\r\n538 encryption required for requested authentication mechanism (#5.7.11)\r\n"),
        "{r}"
    );
    assert!(
        r.ends_with("250-8BITMIME\r\n250-SMTPUTF8\r\n250-AUTH LOGIN PLAIN\r\n250 SIZE\r\n"),
        "{r}"
    );
    // Without a checkpassword program AUTH stays unknown, as in qmail.
    let t = run("EHLO x\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
    assert!(replies(&t).ends_with("250 8BITMIME\r\n502 unimplemented (#5.5.1)\r\n"));
}

#[test]
fn auth_plain_and_login_then_relay() {
    let r = auth_session(&[
        b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@remote.example>\r\n",
    ]);
    assert!(
        r.ends_with("235 ok, go ahead (#2.0.0)\r\n250 ok\r\n250 ok\r\n"),
        "{r}"
    );
    let r = auth_session(&[b"AUTH LOGIN\r\nYWxpY2U=\r\nc2VjcmV0\r\nAUTH PLAIN\r\n"]);
    assert!(
        r.ends_with("334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 ok, go ahead (#2.0.0)\r\n503 you're already authenticated (#5.5.0)\r\n"),
        "{r}"
    );
    let r = auth_session(&[b"AUTH LOGIN YWxpY2U=\r\nc2VjcmV0\r\n"]);
    assert!(
        r.ends_with("334 UGFzc3dvcmQ6\r\n235 ok, go ahead (#2.0.0)\r\n"),
        "{r}"
    );
    let r = auth_session(&[b"AUTH PLAIN\r\nAGFsaWNlAHNlY3JldA==\r\n"]);
    assert!(r.ends_with("334 \r\n235 ok, go ahead (#2.0.0)\r\n"), "{r}");
}

#[test]
fn auth_makes_a_relay_client_for_qmail_queue_and_the_received_line() {
    let msg = b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@remote.example>\r\nDATA\r\nhi\r\n.\r\n";
    let t = drive(
        crate::fuzzing::tls_config(),
        &[b"STARTTLS\r\n", b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n", msg],
        true,
    );
    let q = t.queued();
    assert_eq!(q.len(), 1, "{}", replies(&t));
    assert_eq!(
        q[0].env,
        vec![
            ("RELAYCLIENT", Vec::new()),
            ("TCPREMOTEINFO", b"alice".to_vec())
        ]
    );
    let m = String::from_utf8_lossy(&q[0].message).into_owned();
    assert!(
        m.starts_with(
            "Received: from unknown (HELO c) (alice@127.0.0.1)\n  by cmp.example with (TLSv1.3 "
        ),
        "{m}"
    );
    // tcprules' RELAYCLIENT stays as it was (qmail-queue inherits it).
    let t = drive(
        Config {
            relayclient: Some(b"+r".to_vec()),
            ..crate::fuzzing::tls_config()
        },
        &[b"STARTTLS\r\n", b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n", msg],
        true,
    );
    assert_eq!(
        t.queued()[0].env,
        vec![("TCPREMOTEINFO", b"alice".to_vec())]
    );
    // Without AUTH nothing is added and the line is qmail's.
    let t = drive(
        crate::fuzzing::tls_config(),
        &[
            b"STARTTLS\r\n",
            b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@cmp.example>\r\nDATA\r\nhi\r\n.\r\n",
        ],
        true,
    );
    assert!(t.queued()[0].env.is_empty());
    let m = String::from_utf8_lossy(&t.queued()[0].message).into_owned();
    assert!(
        m.starts_with("Received: from unknown (HELO c) (127.0.0.1)\n"),
        "{m}"
    );
}

#[test]
fn auth_failures_are_limited_and_do_not_relay() {
    let bad = b"AUTH PLAIN AGFsaWNlAHdyb25n\r\n";
    let r = auth_session(&[bad, b"MAIL FROM:<a@b>\r\nRCPT TO:<x@remote.example>\r\n"]);
    assert!(
        r.ends_with("535 authorization failed (#5.7.0)\r\n250 ok\r\n553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)\r\n"),
        "{r}"
    );
    let r = auth_session(&[bad, bad, bad, b"NOOP\r\n"]);
    assert!(
        r.ends_with("535 authorization failed (#5.7.0)\r\n535 authorization failed (#5.7.0)\r\n421 too many authentication failures (#4.7.0)\r\n"),
        "{r}"
    );
    let r = auth_session(&[b"AUTH PLAIN AHRlbXAAeA==\r\n"]);
    assert!(
        r.ends_with("454 temporary authentication failure (#4.3.0)\r\n"),
        "{r}"
    );
}

#[test]
fn auth_bad_input() {
    let r = auth_session(&[
        b"AUTH CRAM-MD5\r\nAUTH PLAIN !!!!\r\nAUTH LOGIN\r\n*\r\nAUTH PLAIN\r\nnot base64\r\n",
        b"AUTH PLAIN Ym9iAGFsaWNlAHNlY3JldA==\r\nMAIL FROM:<a@b>\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n",
    ]);
    assert!(
        r.ends_with(
            "504 auth type unimplemented (#5.5.1)\r\n501 malformed auth input (#5.5.4)\r\n\
             334 VXNlcm5hbWU6\r\n501 auth exchange cancelled (#5.0.0)\r\n334 \r\n\
             501 malformed auth input (#5.5.4)\r\n501 malformed auth input (#5.5.4)\r\n\
             250 ok\r\n503 no auth during mail transaction (#5.5.0)\r\n"
        ),
        "{r}"
    );
}

#[test]
fn submission_requires_auth_before_mail() {
    let cfg = || Config {
        submission: true,
        ..crate::fuzzing::tls_config()
    };
    let t = drive(cfg(), &[b"STARTTLS\r\n", b"MAIL FROM:<a@b>\r\n"], true);
    assert!(replies(&t).ends_with("530 authentication required (#5.7.0)\r\n"));
    let t = drive(
        cfg(),
        &[
            b"STARTTLS\r\n",
            b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nMAIL FROM:<a@b>\r\n",
        ],
        true,
    );
    assert!(replies(&t).ends_with("235 ok, go ahead (#2.0.0)\r\n250 ok\r\n"));
}

#[test]
fn size_declared_at_mail() {
    let cfg = || Config {
        databytes: 100,
        ..crate::fuzzing::tls_config()
    };
    let t = drive(
        cfg(),
        &[b"EHLO x\r\nMAIL FROM:<a@b> SIZE=101\r\nMAIL FROM:<a@b> SIZE=100\r\n"],
        true,
    );
    assert!(
        replies(&t).ends_with(
            "250-STARTTLS\r\n250 SIZE 100\r\n\
             552 sorry, that message size exceeds my databytes limit (#5.3.4)\r\n250 ok\r\n"
        ),
        "{}",
        replies(&t)
    );
    // Bare qmail-smtpd: SIZE= is honoured, EHLO stays qmail's.
    let t = drive(
        Config {
            databytes: 100,
            ..test_config()
        },
        &[b"EHLO x\r\nMAIL FROM:<a@b> SIZE=101\r\n"],
        true,
    );
    assert!(replies(&t).ends_with(
        "250-PIPELINING\r\n250 8BITMIME\r\n552 sorry, that message size exceeds my databytes limit (#5.3.4)\r\n"
    ));
}

#[test]
fn smtputf8_addresses_need_the_parameter() {
    let t = drive(
        crate::fuzzing::tls_config(),
        &["EHLO x\r\n\
           MAIL FROM:<j\u{fc}rgen@b\u{e4}r.example>\r\n\
           MAIL FROM:<a@b>\r\nRCPT TO:<\u{e9}l\u{e8}ve@cmp.example>\r\n\
           MAIL FROM:<j\u{fc}rgen@b\u{e4}r.example> SMTPUTF8\r\n\
           RCPT TO:<\u{e9}l\u{e8}ve@cmp.example>\r\nRCPT TO:<x@cmp.example>\r\n\
           DATA\r\nSubject: gr\u{fc}\u{df}e\r\n\r\n\u{263a}\r\n.\r\n\
           MAIL FROM:<a@b>\r\nRCPT TO:<\u{e9}l\u{e8}ve@cmp.example>\r\nQUIT\r\n"
            .as_bytes()],
        true,
    );
    let r = replies(&t);
    let need = "553 sorry, that address needs SMTPUTF8, which MAIL did not give (#5.6.7)\r\n";
    assert!(r.contains("250-8BITMIME\r\n250-SMTPUTF8\r\n"), "{r}");
    assert!(
        r.contains(&format!(
            "{need}250 ok\r\n{need}250 ok\r\n250 ok\r\n250 ok\r\n354 "
        )),
        "{r}"
    );
    // SMTPUTF8 holds for one transaction only.
    assert!(
        r.ends_with(&format!("250 ok\r\n{need}221 cmp.example\r\n")),
        "{r}"
    );
    let q = t.queued();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].sender, "j\u{fc}rgen@b\u{e4}r.example".as_bytes());
    assert_eq!(
        q[0].recipients,
        vec![
            "\u{e9}l\u{e8}ve@cmp.example".as_bytes().to_vec(),
            b"x@cmp.example".to_vec()
        ]
    );
    let m = String::from_utf8(q[0].message.clone()).unwrap();
    assert!(m.contains("\n  by cmp.example with UTF8SMTP; "), "{m}");
    assert!(
        m.ends_with("\nSubject: gr\u{fc}\u{df}e\n\n\u{263a}\n"),
        "{m}"
    );
}

#[test]
fn eight_bit_addresses_that_are_not_utf8_are_syntax_errors() {
    let t = drive(
        crate::fuzzing::tls_config(),
        &[b"MAIL FROM:<j\xfcrgen@b> SMTPUTF8\r\nMAIL FROM:<a@b> SMTPUTF8\r\nRCPT TO:<\xe9@cmp.example>\r\n"],
        true,
    );
    assert!(
        replies(&t)
            .ends_with("555 syntax error (#5.5.4)\r\n250 ok\r\n555 syntax error (#5.5.4)\r\n"),
        "{}",
        replies(&t)
    );
    // Bare qmail-smtpd does not offer SMTPUTF8 (EHLO stays qmail's) but honours it.
    let t = run("EHLO x\r\nMAIL FROM:<\u{fc}@b>\r\nMAIL FROM:<\u{fc}@b> SMTPUTF8\r\n");
    assert!(
        replies(&t).ends_with("250 8BITMIME\r\n553 sorry, that address needs SMTPUTF8, which MAIL did not give (#5.6.7)\r\n250 ok\r\n"),
        "{}",
        replies(&t)
    );
}
