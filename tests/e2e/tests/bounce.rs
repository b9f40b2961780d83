//! Bounces end to end (spec 2.8): an unknown user bounces to the sender in QSBMF, a bounce
//! that bounces goes to postmaster (double bounce) and one more is discarded (triple
//! bounce), and queuelifetime turns a deferral into a bounce.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use qmail_e2e::{mailbox, maildir_messages, Sandbox};

const DOM: &str = "bounce.example";

fn sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.control("me", &[DOM]);
    sb.control("locals", &[DOM]);
    sb
}

/// The alias user with a private home catching every local name without a better
/// users/assign entry; `~alias/.qmail-postmaster` delivers to `~alias/Maildir/`.
fn alias_home(sb: &Sandbox) -> PathBuf {
    let alias = nix::unistd::User::from_name("alias").unwrap().unwrap();
    let home = sb.scratch().join("alias");
    for d in ["", "Maildir", "Maildir/new", "Maildir/cur", "Maildir/tmp"] {
        let p = home.join(d);
        fs::create_dir_all(&p).unwrap();
        nix::unistd::chown(&p, Some(alias.uid), Some(alias.gid)).unwrap();
    }
    fs::set_permissions(&home, fs::Permissions::from_mode(0o755)).unwrap();
    let p = home.join(".qmail-postmaster");
    fs::write(&p, "./Maildir/\n").unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
    let assign = sb.path("users/assign");
    let mut t = fs::read_to_string(&assign).unwrap_or_default();
    if let Some(s) = t.strip_suffix(".\n") {
        t = s.to_string();
    }
    t.push_str(&format!(
        "+:alias:{}:{}:{}:-::\n.\n",
        alias.uid,
        alias.gid,
        home.display()
    ));
    fs::write(&assign, t).unwrap();
    let r = sb.sh("/var/qmail/bin/qmail-newu");
    assert_eq!(r.code, Some(0), "{}", r.stderr_str());
    home
}

/// Queue with qmail-queue directly (as root): exact message bytes and envelope.
fn queue(sb: &Sandbox, from: &str, to: &[&str], msg: &str) {
    let mut env = format!("F{from}\0");
    for t in to {
        env.push_str(&format!("T{t}\0"));
    }
    env.push('\0');
    let r = sb.run_fd01(
        None,
        &["/var/qmail/bin/qmail-queue"],
        msg.as_bytes(),
        env.as_bytes(),
    );
    assert_eq!(r.code, Some(0), "qmail-queue: {}", r.stderr_str());
}

/// Mask what varies: every run of digits becomes `N`, a month name `Mon`.
fn norm(s: &str) -> String {
    let mut out = String::new();
    let mut digits = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !digits {
                out.push('N');
            }
            digits = true;
        } else {
            digits = false;
            out.push(c);
        }
    }
    for m in [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ] {
        out = out.replace(&format!(" {m} N "), " Mon N ");
    }
    out
}

fn one_message(maildir: &Path) -> String {
    let v = maildir_messages(maildir);
    assert_eq!(v.len(), 1, "{}", maildir.display());
    String::from_utf8_lossy(&v[0]).into_owned()
}

const ORIGINAL: &str = "From: someone\nSubject: to bounce\n\nline one\n\nline three\n";

#[test]
fn unknown_user_bounces_to_the_sender_in_qsbmf() {
    let sb = sandbox();
    let snd = mailbox(&sb, "bsnd");
    let ok = mailbox(&sb, "bok");
    alias_home(&sb);
    let send = sb.start_send("./Maildir/");
    // One message, two unknown recipients and one good one: one bounce for both.
    queue(
        &sb,
        "bsnd@bounce.example",
        &[
            "nosuch@bounce.example",
            "bok@bounce.example",
            "Other.One@bounce.example",
        ],
        ORIGINAL,
    );
    assert!(send.wait_log("end msg", 2, 30), "{}", send.log_text());
    assert_eq!(maildir_messages(&ok.join("Maildir")).len(), 1);
    let got = one_message(&snd.join("Maildir"));
    let head = "Return-Path: <>\n\
Delivered-To: bsnd@bounce.example\n\
Received: (qmail N invoked for bounce); N Mon N N:N:N -N\n\
Date: N Mon N N:N:N -N\n\
From: MAILER-DAEMON@bounce.example\n\
To: bsnd@bounce.example\n\
Subject: failure notice\n\
\n\
Hi. This is the qmail-send program at bounce.example.\n\
I'm afraid I wasn't able to deliver your message to the following addresses.\n\
This is a permanent error; I've given up. Sorry it didn't work out.\n\
\n";
    let para1 = "<nosuch@bounce.example>:\nSorry, no mailbox here by that name. (#N.N.N)\n\n";
    let para2 = "<Other.One@bounce.example>:\nSorry, no mailbox here by that name. (#N.N.N)\n\n";
    let tail = "--- Below this line is a copy of the message.\n\
\n\
Return-Path: <bsnd@bounce.example>\n\
Received: (qmail N invoked by uid N); N Mon N N:N:N -N\n\
From: someone\nSubject: to bounce\n\nline one\n\nline three\n";
    let n = norm(&got);
    // The two paragraphs come in the order the deliveries reported.
    let a = format!("{head}{para1}{para2}{tail}");
    let b = format!("{head}{para2}{para1}{tail}");
    assert!(n == a || n == b, "got:\n{got}\nwant:\n{a}");
    // Date: is RFC 822 with a day that is not zero-padded, in UTC.
    let date = got.lines().find(|l| l.starts_with("Date: ")).unwrap();
    assert!(
        !date.starts_with("Date: 0") && date.ends_with(" -0000"),
        "{date}"
    );
    assert!(sb.wait_queue_empty(10));
    assert!(sb.ls("queue/bounce").is_empty());
}

#[test]
fn bouncefrom_and_bouncehost_controls() {
    let sb = sandbox();
    sb.control("bouncefrom", &["Bounce Robot"]);
    sb.control("bouncehost", &["mx.bounce.example"]);
    let snd = mailbox(&sb, "bcsnd");
    alias_home(&sb);
    let send = sb.start_send("./Maildir/");
    queue(
        &sb,
        "bcsnd@bounce.example",
        &["nobody-here@bounce.example"],
        ORIGINAL,
    );
    assert!(send.wait_log("end msg", 2, 30), "{}", send.log_text());
    let got = one_message(&snd.join("Maildir"));
    assert!(
        got.contains("\nFrom: \"Bounce Robot\"@mx.bounce.example\n"),
        "{got}"
    );
    assert!(
        got.contains("\nHi. This is the qmail-send program at mx.bounce.example.\n"),
        "{got}"
    );
}

#[test]
fn a_bounce_to_an_unknown_sender_goes_to_postmaster() {
    let sb = sandbox();
    let ah = alias_home(&sb);
    let send = sb.start_send("./Maildir/");
    queue(
        &sb,
        "nobox@bounce.example",
        &["nosuch@bounce.example"],
        ORIGINAL,
    );
    // The message, its bounce, the double bounce.
    assert!(send.wait_log("end msg", 3, 30), "{}", send.log_text());
    let got = one_message(&ah.join("Maildir"));
    let want = "Return-Path: <#@[]>\n\
Delivered-To: postmaster@bounce.example\n\
Received: (qmail N invoked for bounce); N Mon N N:N:N -N\n\
Date: N Mon N N:N:N -N\n\
From: MAILER-DAEMON@bounce.example\n\
To: postmaster@bounce.example\n\
Subject: failure notice\n\
\n\
Hi. This is the qmail-send program at bounce.example.\n\
I tried to deliver a bounce message to this address, but the bounce bounced!\n\
\n\
<nobox@bounce.example>:\n\
Sorry, no mailbox here by that name. (#N.N.N)\n\
\n\
--- Below this line is the original bounce.\n\
\n\
Return-Path: <>\n\
Received: (qmail N invoked for bounce); N Mon N N:N:N -N\n\
Date: N Mon N N:N:N -N\n\
From: MAILER-DAEMON@bounce.example\n\
To: nobox@bounce.example\n\
Subject: failure notice\n\
\n\
Hi. This is the qmail-send program at bounce.example.\n\
I'm afraid I wasn't able to deliver your message to the following addresses.\n\
This is a permanent error; I've given up. Sorry it didn't work out.\n\
\n\
<nosuch@bounce.example>:\n\
Sorry, no mailbox here by that name. (#N.N.N)\n\
\n\
--- Below this line is a copy of the message.\n\
\n\
Return-Path: <nobox@bounce.example>\n\
Received: (qmail N invoked by uid N); N Mon N N:N:N -N\n\
From: someone\nSubject: to bounce\n\nline one\n\nline three\n";
    assert_eq!(norm(&got), want, "{got}");
    let owner = fs::read_dir(ah.join("Maildir/new"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .metadata()
        .unwrap()
        .uid();
    assert_eq!(owner, qmail_e2e::uid_of("alias"));
    let log = send.log_text();
    assert!(log.contains(" from <#@[]> qp "), "{log}");
    assert!(
        log.contains("to local postmaster@bounce.example\n"),
        "{log}"
    );
    assert!(sb.wait_queue_empty(10));
}

#[test]
fn doublebounceto_and_a_triple_bounce_is_discarded() {
    let sb = sandbox();
    // The double bounce goes to a name that does not exist either.
    sb.control("doublebounceto", &["gone"]);
    sb.control("doublebouncehost", &["bounce.example"]);
    let ah = alias_home(&sb);
    let send = sb.start_send("./Maildir/");
    queue(
        &sb,
        "nobox@bounce.example",
        &["nosuch@bounce.example"],
        ORIGINAL,
    );
    assert!(
        send.wait_log("triple bounce: discarding bounce/", 1, 30),
        "{}",
        send.log_text()
    );
    assert!(send.wait_log("end msg", 3, 30), "{}", send.log_text());
    let log = send.log_text();
    assert!(log.contains("to local gone@bounce.example\n"), "{log}");
    assert_eq!(log.matches("bounce msg ").count(), 2, "{log}");
    assert!(maildir_messages(&ah.join("Maildir")).is_empty());
    assert!(sb.wait_queue_empty(10));
    assert!(sb.ls("queue/bounce").is_empty());
}

#[test]
fn queuelifetime_turns_a_deferral_into_a_bounce() {
    let sb = sandbox();
    sb.control("queuelifetime", &["2"]);
    let snd = mailbox(&sb, "bqsnd");
    let home = mailbox(&sb, "bq");
    let p = home.join(".qmail-later");
    fs::write(&p, "|echo try later; exit 111\n").unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
    let send = sb.start_send("./Maildir/");
    queue(
        &sb,
        "bqsnd@bounce.example",
        &["bq-later@bounce.example"],
        ORIGINAL,
    );
    assert!(
        send.wait_log("deferral: try_later/", 1, 30),
        "{}",
        send.log_text()
    );
    // Still young: the message waits for its retry.
    assert_eq!(sb.mess_files().len(), 1);
    std::thread::sleep(std::time::Duration::from_secs(3));
    kill(Pid::from_raw(send.pid() as i32), Signal::SIGALRM).unwrap();
    assert!(send.wait_log("end msg", 2, 30), "{}", send.log_text());
    let log = send.log_text();
    // The last attempt is still made; its deferral is logged as a failure.
    assert_eq!(log.matches("deferral: try_later/").count(), 1, "{log}");
    assert!(
        log.contains("failure: try_later/I'm_not_going_to_try_again;_this_message_has_been_in_the_queue_too_long./\n"),
        "{log}"
    );
    let got = one_message(&snd.join("Maildir"));
    assert!(
        got.contains(
            "\n<bq-later@bounce.example>:\ntry later\nI'm not going to try again; this message has been in the queue too long.\n\n--- Below this line is a copy of the message.\n"
        ),
        "{got}"
    );
    assert!(sb.wait_queue_empty(10));
}

#[test]
fn bounce_paragraphs_keep_blank_lines_out_and_strip_virtual_prepends() {
    let sb = sandbox();
    sb.control("virtualdomains", &["virt.example:bv"]);
    let snd = mailbox(&sb, "bvsnd");
    let home = mailbox(&sb, "bv");
    let p = home.join(".qmail-default");
    fs::write(
        &p,
        "|printf 'first\\n\\n\\nafter two blank lines\\n\\n'; exit 100\n",
    )
    .unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
    let send = sb.start_send("./Maildir/");
    queue(&sb, "bvsnd@bounce.example", &["joe@virt.example"], ORIGINAL);
    assert!(send.wait_log("end msg", 2, 30), "{}", send.log_text());
    let log = send.log_text();
    assert!(log.contains("to local bv-joe@virt.example\n"), "{log}");
    let got = one_message(&snd.join("Maildir"));
    // The recipient as the sender wrote it; runs of newlines inside the report become
    // one newline followed by slashes. As in qmail, the report's last newline is not
    // looked at, so a report ending in a blank line keeps it.
    assert!(
        got.contains(
            "\n\n<joe@virt.example>:\nfirst\n//after two blank lines\n\n\n--- Below this line is a copy of the message.\n"
        ),
        "{got}"
    );
}

#[test]
fn a_verp_sender_gets_its_bounce_at_the_base_address() {
    let sb = sandbox();
    let snd = mailbox(&sb, "bw");
    // bw-@bounce.example (empty extension) reaches ~/.qmail-default.
    let p = snd.join(".qmail-default");
    fs::write(&p, "./Maildir/\n").unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
    alias_home(&sb);
    let send = sb.start_send("./Maildir/");
    // Per-recipient VERP sender: deliveries see bw-nosuch=bounce.example@bounce.example,
    // the bounce goes to the base bw-@bounce.example ("-@[]" stripped).
    queue(
        &sb,
        "bw-@bounce.example-@[]",
        &["nosuch@bounce.example"],
        ORIGINAL,
    );
    assert!(send.wait_log("end msg", 2, 30), "{}", send.log_text());
    let log = send.log_text();
    assert_eq!(maildir_messages(&snd.join("Maildir")).len(), 1, "{log}");
    let got = one_message(&snd.join("Maildir"));
    assert!(got.contains("\nTo: bw-@bounce.example\n"), "{got}\n{log}");
    assert!(
        got.contains("\nReturn-Path: <bw-@bounce.example>\nReceived: (qmail "),
        "{got}"
    );
}
