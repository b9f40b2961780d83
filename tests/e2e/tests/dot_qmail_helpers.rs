//! The .qmail helper programs in real deliveries through the running system: each one is
//! named in a `.qmail-EXT` file of a test mailbox, a message is injected, and what qmail
//! delivered (Maildirs, bounces in the sender's Maildir, program output, qmail-send's log)
//! shows its exit code and its effect. Compare compliance/scenarios/local-helper-programs.sh.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use qmail_e2e::{mailbox, maildir_messages, test_user, uid_of, wait_for, Daemon, Sandbox};

/// Two pseudo-terminals owned by the test user, in raw mode: the first with the owner's
/// execute bit (`biff y`), the second without. Their names go to OUT.names; everything
/// written to them is appended to OUT.0 and OUT.1 until OUT.stop appears.
const PTYS: &str = r#"
import os, select, sys, time, tty
out, uid, gid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ptys = []
for mode in (0o700, 0o600):
    m, s = os.openpty()
    tty.setraw(s)
    name = os.ttyname(s)
    os.chown(name, uid, gid)
    os.chmod(name, mode)
    ptys.append((m, s, name))
    open('%s.%d' % (out, len(ptys) - 1), 'wb').close()
with open(out + '.names.tmp', 'w') as f:
    f.write(''.join(n + '\n' for _, _, n in ptys))
os.rename(out + '.names.tmp', out + '.names')
end = time.time() + 60
while time.time() < end and not os.path.exists(out + '.stop'):
    r, _, _ = select.select([p[0] for p in ptys], [], [], 0.1)
    for i, p in enumerate(ptys):
        if p[0] in r:
            with open('%s.%d' % (out, i), 'ab') as f:
                f.write(os.read(p[0], 4096))
"#;

const DOM: &str = "e2e.example";

/// A running system with a sender mailbox `snd` (where bounces and notices arrive) and a
/// mailbox `local` whose .qmail files the test writes; returns (sandbox, qmail-send,
/// home of local, home of snd).
fn system(local: &str) -> (Sandbox, Daemon, PathBuf, PathBuf) {
    let sb = Sandbox::new();
    sb.control("me", &[DOM]);
    sb.control("locals", &[DOM]);
    let home = mailbox(&sb, local);
    let snd = mailbox(&sb, &format!("{local}snd"));
    let send = sb.start_send("./Maildir/");
    (sb, send, home, snd)
}

/// `home/.qmail-ext` with `text`, mode 0644.
fn dotq(home: &Path, ext: &str, text: &str) {
    let p = home.join(format!(".qmail-{ext}"));
    fs::write(&p, text).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
}

/// A Maildir `home/name/` owned by the test user.
fn maildir(home: &Path, name: &str) -> PathBuf {
    let md = home.join(name);
    for sub in ["tmp", "new", "cur"] {
        fs::create_dir_all(md.join(sub)).unwrap();
    }
    let uid = uid_of(test_user());
    let gid = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .unwrap()
        .unwrap()
        .gid
        .as_raw();
    for p in [md.clone(), md.join("tmp"), md.join("new"), md.join("cur")] {
        std::os::unix::fs::chown(&p, Some(uid), Some(gid)).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o700)).unwrap();
    }
    md
}

/// Inject `msg` from `from` to `to` with qmail-inject (envelope from the arguments).
fn inject(sb: &Sandbox, from: &str, to: &str, msg: &str) {
    let dir = sb.scratch();
    fs::write(dir.join("msg"), msg).unwrap();
    let r = sb.sh(&format!(
        "/var/qmail/bin/qmail-inject -f {from} {to} < {}",
        dir.join("msg").display()
    ));
    assert_eq!(r.code, Some(0), "qmail-inject: {}", r.stderr_str());
}

fn texts(md: &Path) -> Vec<String> {
    maildir_messages(md)
        .iter()
        .map(|m| String::from_utf8_lossy(m).into_owned())
        .collect()
}

fn wait_count(md: &Path, n: usize) -> bool {
    wait_for(30, || maildir_messages(md).len() >= n)
}

/// The delivery results in qmail-send's log (`success: ...`, `failure: ...`), sorted.
fn results(send: &Daemon) -> Vec<String> {
    let mut v: Vec<String> = send
        .log_text()
        .lines()
        .filter_map(|l| {
            let i = l.find(": success: ").or_else(|| l.find(": failure: "))?;
            Some(l.get(i + 2..)?.to_string())
        })
        .map(|s| {
            // qp numbers vary
            match s.find("qp_") {
                Some(i) => {
                    let tail: String = s
                        .get(i + 3..)
                        .unwrap_or("")
                        .chars()
                        .skip_while(char::is_ascii_digit)
                        .collect();
                    format!("{}qp_N{tail}", s.get(..i).unwrap_or(""))
                }
                None => s,
            }
        })
        .collect();
    v.sort();
    v
}

#[test]
fn condredirect_forwards_and_stops() {
    let (sb, send, home, _snd) = system("hcr");
    let redir = maildir(&home, "redir");
    let kept = maildir(&home, "kept");
    dotq(&home, "redir", "./redir/\n");
    dotq(
        &home,
        "cond",
        "|condredirect hcr-redir@e2e.example grep -q REDIRECT\n./kept/\n",
    );
    inject(
        &sb,
        "hcrsnd@e2e.example",
        "hcr-cond@e2e.example",
        "Subject: plain\n\nbody\n",
    );
    inject(
        &sb,
        "hcrsnd@e2e.example",
        "hcr-cond@e2e.example",
        "Subject: please REDIRECT\n\nbody\n",
    );
    assert!(
        wait_count(&kept, 1) && wait_count(&redir, 1),
        "{}",
        send.log_text()
    );
    assert!(sb.wait_queue_empty(30));
    // grep found it: forwarded (with the original sender) and nothing else (exit 99)
    let r = texts(&redir);
    assert_eq!(r.len(), 1);
    assert!(
        r[0].starts_with(
            "Return-Path: <hcrsnd@e2e.example>\nDelivered-To: hcr-redir@e2e.example\n"
        ),
        "{}",
        r[0]
    );
    assert!(
        r[0].contains("\nDelivered-To: hcr-cond@e2e.example\n"),
        "{}",
        r[0]
    );
    assert!(r[0].contains("Subject: please REDIRECT\n"));
    // grep did not find it: condredirect exits 0 and the next line delivers
    let k = texts(&kept);
    assert_eq!(k.len(), 1, "{k:?}");
    assert!(k[0].contains("Subject: plain\n"), "{}", k[0]);
    assert_eq!(
        results(&send),
        vec![
            "success: condredirect:_qp_N/did_0+0+1/",
            "success: did_1+0+0/",
            "success: did_1+0+1/",
        ]
    );
}

#[test]
fn bouncesaying_bounces_with_its_text() {
    let (sb, send, home, snd) = system("hbs");
    let kept = maildir(&home, "kept");
    dotq(
        &home,
        "closed",
        "|bouncesaying \"This address is closed.\"\n./kept/\n",
    );
    dotq(
        &home,
        "if",
        "|bouncesaying \"Bounced because of BOUNCEME.\" grep -q BOUNCEME\n./kept/\n",
    );
    inject(
        &sb,
        "hbssnd@e2e.example",
        "hbs-closed@e2e.example",
        "Subject: one\n\nbody\n",
    );
    inject(
        &sb,
        "hbssnd@e2e.example",
        "hbs-if@e2e.example",
        "Subject: two\n\nbody\n",
    );
    inject(
        &sb,
        "hbssnd@e2e.example",
        "hbs-if@e2e.example",
        "Subject: three BOUNCEME\n\nbody\n",
    );
    let bounces = snd.join("Maildir");
    assert!(wait_count(&bounces, 2), "{}", send.log_text());
    assert!(wait_count(&kept, 1), "{}", send.log_text());
    assert!(sb.wait_queue_empty(30));
    let b = texts(&bounces);
    assert_eq!(b.len(), 2, "{b:?}");
    let closed = b
        .iter()
        .find(|m| m.contains("<hbs-closed@e2e.example>:\n"))
        .expect("bounce for hbs-closed");
    assert!(closed.starts_with("Return-Path: <>\n"), "{closed}");
    assert!(
        closed.contains("<hbs-closed@e2e.example>:\nThis address is closed.\n"),
        "{closed}"
    );
    assert!(closed.contains("Subject: one\n"));
    let cond = b
        .iter()
        .find(|m| m.contains("<hbs-if@e2e.example>:\n"))
        .expect("bounce for hbs-if");
    assert!(
        cond.contains("<hbs-if@e2e.example>:\nBounced because of BOUNCEME.\n"),
        "{cond}"
    );
    assert!(cond.contains("Subject: three BOUNCEME\n"));
    // the program said no: the next line delivered, no bounce
    let k = texts(&kept);
    assert_eq!(k.len(), 1);
    assert!(k[0].contains("Subject: two\n"));
    let res = results(&send);
    assert!(
        res.contains(&"failure: This_address_is_closed./".to_string()),
        "{res:?}"
    );
    assert!(res.contains(&"failure: Bounced_because_of_BOUNCEME./".to_string()));
    assert!(res.contains(&"success: did_1+0+1/".to_string()));
}

#[test]
fn except_inverts() {
    let (sb, send, home, snd) = system("hex");
    let kept = maildir(&home, "kept");
    dotq(&home, "x", "|except grep -q NOTHERE\n./kept/\n");
    // a temporary failure of the program stays temporary
    dotq(&home, "t", "|except sh -c 'exit 111'\n./kept/\n");
    inject(
        &sb,
        "hexsnd@e2e.example",
        "hex-x@e2e.example",
        "Subject: absent\n\nbody\n",
    );
    inject(
        &sb,
        "hexsnd@e2e.example",
        "hex-x@e2e.example",
        "Subject: NOTHERE is here\n\nbody\n",
    );
    inject(
        &sb,
        "hexsnd@e2e.example",
        "hex-t@e2e.example",
        "Subject: soft\n\nbody\n",
    );
    assert!(wait_count(&kept, 1), "{}", send.log_text());
    assert!(wait_count(&snd.join("Maildir"), 1), "{}", send.log_text());
    assert!(send.wait_log("deferral:", 1, 30), "{}", send.log_text());
    // grep failing (1) → except 0 → delivered; grep succeeding (0) → except 100 → bounce
    let k = texts(&kept);
    assert_eq!(k.len(), 1);
    assert!(k[0].contains("Subject: absent\n"));
    let b = texts(&snd.join("Maildir"));
    assert_eq!(b.len(), 1);
    assert!(b[0].contains("<hex-x@e2e.example>:\n"), "{}", b[0]);
    assert!(b[0].contains("Subject: NOTHERE is here\n"));
    let res = results(&send);
    assert!(res.contains(&"success: did_1+0+1/".to_string()), "{res:?}");
    assert!(res.iter().any(|r| r.starts_with("failure: ")), "{res:?}");
    // 111 → 111: deferred, not bounced, not delivered
    let log = send.log_text();
    assert!(log.contains("deferral: "), "{log}");
    assert_eq!(texts(&kept).len(), 1);
    assert_eq!(sb.mess_files().len(), 1, "the soft one stays queued");
}

#[test]
fn preline_adds_the_three_lines() {
    let (sb, send, home, _snd) = system("hpl");
    dotq(&home, "all", "|preline sh -c 'cat > $HOME/preline.all'\n");
    dotq(&home, "fr", "|preline -fr sh -c 'cat > $HOME/preline.fr'\n");
    inject(
        &sb,
        "hplsnd@e2e.example",
        "hpl-all@e2e.example",
        "Subject: p\n\nFrom me\nbody\n",
    );
    inject(
        &sb,
        "hplsnd@e2e.example",
        "hpl-fr@e2e.example",
        "Subject: q\n\nbody\n",
    );
    assert!(send.wait_log("end msg", 2, 30), "{}", send.log_text());
    assert!(sb.wait_queue_empty(30));
    let all = fs::read_to_string(home.join("preline.all")).unwrap();
    let mut lines = all.lines();
    let from = lines.next().unwrap();
    // From_ line: "From SENDER Www Mmm DD HH:MM:SS YYYY"
    assert!(from.starts_with("From hplsnd@e2e.example "), "{all}");
    let date: Vec<&str> = from.split(' ').skip(2).collect();
    assert_eq!(date.len(), 5, "{from}");
    assert_eq!(date[2].len(), 2, "day zero-padded: {from}");
    assert_eq!(lines.next(), Some("Return-Path: <hplsnd@e2e.example>"));
    assert_eq!(lines.next(), Some("Delivered-To: hpl-all@e2e.example"));
    // then the message as qmail-local has it, unchanged (no From quoting)
    assert!(lines.next().unwrap().starts_with("Received: "), "{all}");
    assert!(all.ends_with("Subject: p\n\nFrom me\nbody\n"), "{all}");
    // -f -r: only Delivered-To
    let fr = fs::read_to_string(home.join("preline.fr")).unwrap();
    assert!(
        fr.starts_with("Delivered-To: hpl-fr@e2e.example\nReceived: "),
        "{fr}"
    );
    assert_eq!(
        results(&send),
        vec!["success: did_0+0+1/", "success: did_0+0+1/"]
    );
}

#[test]
fn forward_keeps_the_envelope_sender() {
    let (sb, send, home, _snd) = system("hfw");
    let to = maildir(&home, "fwdto");
    dotq(&home, "fwdto", "./fwdto/\n");
    dotq(&home, "plain", "|forward hfw-fwdto@e2e.example\n");
    // with an owner address, NEWSENDER is the owner (spec 4.9)
    dotq(&home, "listed", "|forward hfw-fwdto@e2e.example\n");
    dotq(&home, "listed-owner", "./fwdto/\n");
    inject(
        &sb,
        "hfwsnd@e2e.example",
        "hfw-plain@e2e.example",
        "Subject: plain\n\nbody\n",
    );
    inject(
        &sb,
        "hfwsnd@e2e.example",
        "hfw-listed@e2e.example",
        "Subject: listed\n\nbody\n",
    );
    assert!(wait_count(&to, 2), "{}", send.log_text());
    assert!(sb.wait_queue_empty(30));
    let m = texts(&to);
    let plain = m.iter().find(|t| t.contains("Subject: plain")).unwrap();
    assert!(
        plain.starts_with(
            "Return-Path: <hfwsnd@e2e.example>\nDelivered-To: hfw-fwdto@e2e.example\nReceived: "
        ),
        "{plain}"
    );
    assert!(
        plain.contains("\nDelivered-To: hfw-plain@e2e.example\nReceived: "),
        "{plain}"
    );
    let listed = m.iter().find(|t| t.contains("Subject: listed")).unwrap();
    assert!(
        listed.starts_with("Return-Path: <hfw-listed-owner@e2e.example>\n"),
        "{listed}"
    );
    let res = results(&send);
    assert_eq!(
        res.iter()
            .filter(|r| *r == "success: forward:_qp_N/did_0+0+1/")
            .count(),
        2,
        "{res:?}"
    );
}

#[test]
fn qreceipt_sends_the_notice() {
    let (sb, send, home, snd) = system("hqr");
    let kept = maildir(&home, "kept");
    dotq(&home, "r", "|qreceipt hqr-r@e2e.example\n./kept/\n");
    inject(
        &sb,
        "hqrsnd@e2e.example",
        "hqr-r@e2e.example",
        "Notice-Requested-Upon-Delivery-To: hqr-r@e2e.example\nMessage-ID: <receipt@example.org>\nSubject: receipt wanted\n\nbody\n",
    );
    // no notice asked for this address: none sent
    inject(
        &sb,
        "hqrsnd@e2e.example",
        "hqr-r@e2e.example",
        "Notice-Requested-Upon-Delivery-To: someone-else@e2e.example\nSubject: not for me\n\nbody\n",
    );
    assert!(wait_count(&kept, 2), "{}", send.log_text());
    assert!(wait_count(&snd.join("Maildir"), 1), "{}", send.log_text());
    assert!(sb.wait_queue_empty(30));
    let n = texts(&snd.join("Maildir"));
    assert_eq!(n.len(), 1, "{n:?}");
    let n = &n[0];
    assert!(
        n.starts_with("Return-Path: <>\nDelivered-To: hqrsnd@e2e.example\n"),
        "{n}"
    );
    assert!(
        n.contains("From: DELIVERY NOTICE SYSTEM <hqrsnd@e2e.example>\n"),
        "{n}"
    );
    assert!(n.contains("To: <hqrsnd@e2e.example>\n"));
    assert!(n.contains("Subject: success notice\n"));
    assert!(
        n.contains(
            "Hi! This is the qreceipt program. Your message was delivered to the\nfollowing address: hqr-r@e2e.example. Thanks for asking.\nYour Message-ID: <receipt@example.org>\n"
        ),
        "{n}"
    );
    assert_eq!(texts(&kept).len(), 2);
}

/// A utmp(5) record of the Linux layout: USER_PROCESS, `line` (relative to /dev), `user`.
fn utmp_record(line: &str, user: &str) -> Vec<u8> {
    let mut r = vec![0u8; 384];
    r[..2].copy_from_slice(&7i16.to_le_bytes());
    r[8..8 + line.len()].copy_from_slice(line.as_bytes());
    r[44..44 + user.len()].copy_from_slice(user.as_bytes());
    r
}

#[test]
fn qbiff_announces_on_the_users_biff_y_terminal() {
    let sb = Sandbox::new();
    sb.control("me", &[DOM]);
    sb.control("locals", &[DOM]);
    let home = mailbox(&sb, "hqb");
    dotq(&home, "biff", "|qbiff\n./Maildir/\n");
    let user = test_user();
    let pw = nix::unistd::User::from_name(user).unwrap().unwrap();
    let s = sb.scratch();
    fs::write(s.join("ptys.py"), PTYS).unwrap();
    let out = s.join("tty");
    let mut ptys = std::process::Command::new("python3")
        .arg(s.join("ptys.py"))
        .arg(&out)
        .arg(pw.uid.to_string())
        .arg(pw.gid.to_string())
        .spawn()
        .unwrap();
    let names = out.with_extension("names");
    assert!(wait_for(10, || names.exists()));
    let names = fs::read_to_string(&names).unwrap();
    let names: Vec<&str> = names.lines().collect();
    assert_eq!(names.len(), 2);
    // the user is logged in on both; another user on the first one too
    let mut utmp = Vec::new();
    for n in &names {
        utmp.extend(utmp_record(n.strip_prefix("/dev/").unwrap(), user));
    }
    utmp.extend(utmp_record("tty9", "somebody"));
    fs::write(s.join("utmp"), utmp).unwrap();
    // qmail with its own /run, holding that utmp
    let send = sb.start(&format!(
        "mount -t tmpfs tmpfs /run && cp {u} /run/utmp && chmod 644 /run/utmp || exit 90
         cd / && exec env - PATH=/var/qmail/bin:/usr/bin:/bin qmail-start ./Maildir/",
        u = s.join("utmp").display()
    ));
    assert!(send.wait_log("status: local", 1, 20), "{}", send.log_text());
    inject(
        &sb,
        "hqbsnd@e2e.example",
        "hqb-biff@e2e.example",
        "Subject: new mail\n\nline one\nline two\n",
    );
    assert!(wait_count(&home.join("Maildir"), 1), "{}", send.log_text());
    let got = out.with_extension("0");
    assert!(
        wait_for(10, || fs::read(&got).unwrap_or_default().ends_with(b"\r\n")),
        "{:?}",
        fs::read(&got)
    );
    // let anything late arrive, then stop the reader
    std::thread::sleep(std::time::Duration::from_millis(300));
    fs::write(out.with_extension("stop"), "").unwrap();
    let _ = ptys.wait();
    let text = fs::read(&got).unwrap();
    let want_head = b"\r\n\x07*** TO <hqb-biff> FROM <hqbsnd@e2e.example>\r\n    ";
    assert!(
        text.starts_with(want_head),
        "{:?}",
        String::from_utf8_lossy(&text)
    );
    let line = String::from_utf8_lossy(&text[want_head.len() - 4..text.len() - 2]).into_owned();
    assert!(line.len() <= 78, "{line:?}");
    // the subject, then the body, newlines shown as '/'
    assert_eq!(line, "    new mail/line one/line two/");
    // biff n: nothing
    assert_eq!(fs::read(out.with_extension("1")).unwrap(), b"");
    // qbiff never fails a delivery
    assert_eq!(results(&send), vec!["success: did_1+0+1/"]);
}
