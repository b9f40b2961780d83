//! Successful deliveries: Maildir, mbox, programs (and the environment they see),
//! forwards, the .qmail search order, the default delivery.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Home, MSG};

/// `<time>.Q<inode>_<nsec>_<hash>_<hash>.<host>`: a delivery of a message file on fd 0.
fn is_unique_name(n: &str) -> bool {
    let mut parts = n.splitn(3, '.');
    let t = parts.next().unwrap_or("");
    let q = parts.next().unwrap_or("");
    let f: Vec<&str> = q.strip_prefix('Q').unwrap_or("").split('_').collect();
    !t.is_empty()
        && t.bytes().all(|b| b.is_ascii_digit())
        && f.len() == 4
        && f[..2]
            .iter()
            .all(|x| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit()))
        && f[2..]
            .iter()
            .all(|x| x.len() == 16 && x.bytes().all(|b| b.is_ascii_hexdigit()))
        && parts.next().is_some()
}

#[test]
fn maildir_default_delivery() {
    let h = Home::new();
    h.maildir("Maildir");
    let r = h.deliver(&[], "qltest", None, "sender@example.org", "./Maildir/", MSG);
    assert_eq!((r.code, r.out.as_str()), (0, "did 1+0+0\n"));
    let m = h.maildir_messages("Maildir");
    assert_eq!(m.len(), 1);
    let (name, data, mode) = &m[0];
    assert!(is_unique_name(name), "{name}");
    assert_eq!(*mode, 0o600);
    let owner = std::os::unix::fs::MetadataExt::uid(
        &std::fs::metadata(h.path(&format!("Maildir/new/{name}"))).unwrap(),
    );
    assert_eq!(owner, h.uid, "delivered as the user");
    let want =
        format!("Return-Path: <sender@example.org>\nDelivered-To: qltest@example.com\n{MSG}");
    assert_eq!(String::from_utf8_lossy(data), want);
}

#[test]
fn mbox_delivery_quotes_and_separates() {
    let h = Home::new();
    h.dotq("", &["./Mailbox"]);
    let msg = "Subject: s\n\nFrom here\n>From there\nno newline";
    for _ in 0..2 {
        let r = h.deliver(&[], "qltest", None, "", "./Maildir/", msg);
        assert_eq!((r.code, r.out.as_str()), (0, "did 1+0+0\n"));
    }
    let text = String::from_utf8(h.read("Mailbox")).unwrap();
    let entries: Vec<&str> = text.split_inclusive("no newline\n\n").collect();
    assert_eq!(entries.len(), 2);
    for e in entries {
        let (from, rest) = e.split_once('\n').unwrap();
        // From MAILER-DAEMON Www Mmm DD HH:MM:SS YYYY
        let f: Vec<&str> = from.split(' ').collect();
        assert_eq!(f.len(), 7, "{from}");
        assert_eq!(&f[..2], ["From", "MAILER-DAEMON"]);
        assert_eq!(f[4].len(), 2, "day is zero-padded: {from}");
        assert_eq!(f[5].len(), 8);
        assert_eq!(
            rest,
            "Return-Path: <>\nDelivered-To: qltest@example.com\nSubject: s\n\n>From here\n>>From there\nno newline\n\n"
        );
    }
    let mode = std::fs::metadata(h.path("Mailbox")).unwrap().permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o600
    );
}

fn env_of(h: &Home, file: &str) -> Vec<(String, String)> {
    let raw = h.read(file);
    let mut v: Vec<(String, String)> = raw
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let s = String::from_utf8_lossy(s);
            let (k, v) = s.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn program_sees_the_delivery_environment() {
    let h = Home::new();
    h.dotq("-env-default", &["|env -0 > env.default"]);
    h.dotq("-envx", &["|env -0 > env.envx"]);
    let r = h.deliver_env(
        &[],
        "qltest-env-a-b-c",
        Some("env-a-b-c"),
        "Mail.Sub.CMP.example",
        "env-sender@example.org",
        "./Maildir/",
        MSG,
        &[],
    );
    assert_eq!((r.code, r.out.as_str()), (0, "did 0+0+1\n"));
    let home = h.dir.to_str().unwrap().to_string();
    let mut env = env_of(&h, "env.default");
    let uf = env.iter().position(|(k, _)| k == "UFLINE").unwrap();
    let ufline = env.remove(uf).1;
    assert!(
        ufline.starts_with("From env-sender@example.org ") && ufline.ends_with('\n'),
        "{ufline}"
    );
    let want: Vec<(String, String)> = [
        ("DEFAULT", "a-b-c"),
        (
            "DTLINE",
            "Delivered-To: qltest-env-a-b-c@Mail.Sub.CMP.example\n",
        ),
        ("EXT", "env-a-b-c"),
        ("EXT2", "a-b-c"),
        ("EXT3", "b-c"),
        ("EXT4", "c"),
        ("HOME", &home),
        ("HOST", "Mail.Sub.CMP.example"),
        ("HOST2", "Mail.Sub.CMP"),
        ("HOST3", "Mail.Sub"),
        ("HOST4", "Mail"),
        ("LOCAL", "qltest-env-a-b-c"),
        ("NEWSENDER", "env-sender@example.org"),
        ("PATH", "/usr/bin:/bin"),
        ("PWD", &home),
        ("RECIPIENT", "qltest-env-a-b-c@Mail.Sub.CMP.example"),
        ("RPLINE", "Return-Path: <env-sender@example.org>\n"),
        ("SENDER", "env-sender@example.org"),
        ("USER", "qltest"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(env, want);

    let r = h.deliver(&[], "qltest-envx", Some("envx"), "", "./Maildir/", MSG);
    assert_eq!((r.code, r.out.as_str()), (0, "did 0+0+1\n"));
    let env = env_of(&h, "env.envx");
    let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("DEFAULT"), None);
    assert_eq!(get("EXT2"), Some(""));
    assert_eq!(get("HOST2"), Some("example"));
    assert_eq!(get("HOST4"), Some("example"));
    assert_eq!(get("NEWSENDER"), Some(""));
    assert_eq!(get("RPLINE"), Some("Return-Path: <>\n"));
    assert!(get("UFLINE").unwrap().starts_with("From MAILER-DAEMON "));
}

#[test]
fn program_gets_the_raw_message_each_time_and_its_output_is_the_report() {
    let h = Home::new();
    h.dotq("-p", &["|cat > one; echo first", "|cat > two; echo second"]);
    let r = h.deliver(&[], "qltest-p", Some("p"), "s@x", "./Maildir/", MSG);
    assert_eq!((r.code, r.out.as_str()), (0, "first\nsecond\ndid 0+0+2\n"));
    assert_eq!(h.read("one"), MSG.as_bytes());
    assert_eq!(h.read("two"), MSG.as_bytes());
}

#[test]
fn extension_lookup_order() {
    let h = Home::new();
    for f in [
        "a",
        "a-default",
        "x-y-default",
        "x-default",
        "default",
        "dot:ted",
        "upper",
    ] {
        let line = format!(
            "|echo \".qmail-{f} EXT=$EXT DEFAULT=${{DEFAULT-(unset)}} LOCAL=$LOCAL\" >> hits.log"
        );
        h.dotq(&format!("-{f}"), &[&line]);
    }
    for r in [
        "a", "a-b", "x-y-z", "x-y", "x-q", "nomatch", "dot.ted", "UPPER", "a-",
    ] {
        let local = format!("qltest-{r}");
        let out = h.deliver(&[], &local, Some(r), "s@x", "./Maildir/", MSG);
        assert_eq!((out.code, out.out.as_str()), (0, "did 0+0+1\n"), "{r}");
    }
    assert_eq!(
        String::from_utf8(h.read("hits.log")).unwrap(),
        ".qmail-a EXT=a DEFAULT=(unset) LOCAL=qltest-a\n\
         .qmail-a-default EXT=a-b DEFAULT=b LOCAL=qltest-a-b\n\
         .qmail-x-y-default EXT=x-y-z DEFAULT=z LOCAL=qltest-x-y-z\n\
         .qmail-x-default EXT=x-y DEFAULT=y LOCAL=qltest-x-y\n\
         .qmail-x-default EXT=x-q DEFAULT=q LOCAL=qltest-x-q\n\
         .qmail-default EXT=nomatch DEFAULT=nomatch LOCAL=qltest-nomatch\n\
         .qmail-dot:ted EXT=dot.ted DEFAULT=(unset) LOCAL=qltest-dot.ted\n\
         .qmail-upper EXT=UPPER DEFAULT=(unset) LOCAL=qltest-UPPER\n\
         .qmail-a-default EXT=a- DEFAULT= LOCAL=qltest-a-\n"
    );
}

#[test]
fn empty_dot_qmail_means_default_delivery() {
    let h = Home::new();
    h.maildir("Maildir");
    h.put(".qmail-empty", "", 0o644);
    let r = h.deliver(&[], "qltest-empty", Some("empty"), "s@x", "./Maildir/", MSG);
    assert_eq!((r.code, r.out.as_str()), (0, "did 1+0+0\n"));
    assert_eq!(h.maildir_messages("Maildir").len(), 1);
}

#[test]
fn comments_and_blank_lines_are_skipped() {
    let h = Home::new();
    h.maildir("Maildir");
    h.dotq("-c", &["# a comment", "", "./Maildir/  ", "+ignored"]);
    let r = h.deliver(&[], "qltest-c", Some("c"), "s@x", "./Mailbox", MSG);
    assert_eq!((r.code, r.out.as_str()), (0, "did 1+0+0\n"));
    assert!(!h.exists("Mailbox"));
}

#[test]
fn forwards_go_in_one_submission_at_the_end() {
    let h = Home::new();
    h.maildir("Maildir");
    let qq = h.fake_queue(0);
    h.dotq(
        "-fwd",
        &["&one@example.net", "two@example.net", "./Maildir/"],
    );
    let r = h.deliver_env(
        &[],
        "qltest-fwd",
        Some("fwd"),
        "example.com",
        "s@x",
        "./Mailbox",
        MSG,
        &[("QMAILQUEUE", &qq)],
    );
    let pid = String::from_utf8(h.read("qq.pid")).unwrap();
    assert_eq!((r.code, r.out.clone()), (0, format!("did 1+2+0\nqp {pid}")));
    assert_eq!(
        h.read("qq.mess"),
        format!("Delivered-To: qltest-fwd@example.com\n{MSG}").as_bytes()
    );
    assert_eq!(
        h.read("qq.env"),
        b"Fs@x\0Tone@example.net\0Ttwo@example.net\0\0"
    );
    assert_eq!(h.maildir_messages("Maildir").len(), 1);
}

#[test]
fn owner_file_sets_the_forwarding_sender() {
    let h = Home::new();
    let qq = h.fake_queue(0);
    h.dotq("-list", &["&member@example.net"]);
    h.dotq("-list-owner", &["&owner@example.net"]);
    let env = [("QMAILQUEUE", qq.as_str())];
    let r = h.deliver_env(
        &[],
        "qltest-list",
        Some("list"),
        "example.com",
        "s@x",
        "./Mailbox",
        MSG,
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.out);
    assert_eq!(
        h.read("qq.env"),
        b"Fqltest-list-owner@example.com\0Tmember@example.net\0\0"
    );
    h.dotq("-list-owner-default", &["&owner@example.net"]);
    let r = h.deliver_env(
        &[],
        "qltest-list",
        Some("list"),
        "example.com",
        "s@x",
        "./Mailbox",
        MSG,
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.out);
    assert_eq!(
        h.read("qq.env"),
        b"Fqltest-list-owner-@example.com-@[]\0Tmember@example.net\0\0"
    );
    // bounces keep their sender
    let r = h.deliver_env(
        &[],
        "qltest-list",
        Some("list"),
        "example.com",
        "",
        "./Mailbox",
        MSG,
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.out);
    assert_eq!(h.read("qq.env"), b"F\0Tmember@example.net\0\0");
}

#[test]
fn exit_99_stops_later_lines_but_keeps_earlier_forwards() {
    let h = Home::new();
    h.maildir("never");
    let qq = h.fake_queue(0);
    h.dotq(
        "-p99",
        &[
            "&fwd1@example.net",
            "|echo ninety-nine; exit 99",
            "./never/",
            "&fwd2@example.net",
        ],
    );
    let r = h.deliver_env(
        &[],
        "qltest-p99",
        Some("p99"),
        "example.com",
        "s@x",
        "./Mailbox",
        MSG,
        &[("QMAILQUEUE", &qq)],
    );
    let pid = String::from_utf8(h.read("qq.pid")).unwrap();
    assert_eq!(
        (r.code, r.out.clone()),
        (0, format!("ninety-nine\ndid 0+1+1\nqp {pid}"))
    );
    assert_eq!(h.read("qq.env"), b"Fs@x\0Tfwd1@example.net\0\0");
    assert!(h.maildir_messages("never").is_empty());
}

#[test]
fn show_mode_lists_instructions() {
    let h = Home::new();
    h.dotq(
        "",
        &["|prog arg", "./Maildir/", "&a@b", "c@d", "./Mailbox", "#x"],
    );
    let r = h.deliver(&["-n"], "qltest", None, "s@x", "./Maildir/", MSG);
    assert_eq!(
        (r.code, r.out.as_str()),
        (0, "program prog arg\nmaildir ./Maildir/\nforward a@b\nforward c@d\nmbox ./Mailbox\ndid 2+2+1\n")
    );
    assert!(!h.exists("Mailbox"));
}

#[test]
fn two_maildir_lines_to_one_maildir_get_two_names() {
    let h = Home::new();
    h.maildir("Maildir");
    h.dotq("-twice", &["./Maildir/", "./Maildir/"]);
    let r = h.deliver(&[], "qltest-twice", Some("twice"), "s@x", "./Mailbox", MSG);
    assert_eq!((r.code, r.out.as_str()), (0, "did 2+0+0\n"));
    let m = h.maildir_messages("Maildir");
    assert_eq!(m.len(), 2);
    assert_ne!(m[0].0, m[1].0);
}

#[test]
fn mbox_delivery_waits_for_the_lock() {
    use nix::fcntl::{Flock, FlockArg};
    let h = Home::new();
    h.put("Mailbox", "", 0o600);
    let held = Flock::lock(
        std::fs::File::open(h.path("Mailbox")).unwrap(),
        FlockArg::LockExclusive,
    )
    .unwrap();
    let mut child = h
        .command(
            &[],
            "qltest",
            None,
            "example.com",
            "s@x",
            "./Mailbox",
            MSG,
            &[],
        )
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "qmail-local did not wait for the lock"
    );
    assert!(h.read("Mailbox").is_empty());
    drop(held);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        (out.status.code(), &out.stdout[..]),
        (Some(0), &b"did 1+0+0\n"[..])
    );
    assert!(h.read("Mailbox").starts_with(b"From s@x "));
}

/// The same message file delivered twice to one Maildir by one recipient's line (what
/// qmail-send does after a crash when the first delivery's success was never recorded):
/// one copy, and the repeat is reported.
#[test]
fn the_same_delivery_twice_makes_two_copies_as_qmail() {
    let h = Home::new();
    h.maildir("Maildir");
    let mpath = h.path("repeat.msg");
    std::fs::write(&mpath, MSG).unwrap();
    let run = |h: &Home| {
        let mut c = h.command(
            &[],
            "qltest",
            None,
            "example.com",
            "s@example.org",
            "./Maildir/",
            MSG,
            &[],
        );
        c.stdin(std::fs::File::open(&mpath).unwrap());
        let o = c.output().unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    assert_eq!(run(&h), (Some(0), "did 1+0+0\n".to_string()));
    let first = h.maildir_messages("Maildir");
    assert_eq!(first.len(), 1);
    // an envelope naming the recipient twice (or a repeat after a crash): a second copy,
    // as qmail makes one, under a name of its own
    assert_eq!(run(&h), (Some(0), "did 1+0+0\n".to_string()));
    let second = h.maildir_messages("Maildir");
    assert_eq!(second.len(), 2);
    assert!(
        second.iter().all(|m| first.iter().any(|f| f.1 == m.1)),
        "same bytes"
    );
    // another message (other bytes) in the same file is a new delivery too
    std::fs::write(&mpath, format!("{MSG}more\n")).unwrap();
    assert_eq!(run(&h), (Some(0), "did 1+0+0\n".to_string()));
    assert_eq!(h.maildir_messages("Maildir").len(), 3);
    assert!(std::fs::read_dir(h.path("Maildir/tmp"))
        .unwrap()
        .next()
        .is_none());
}

/// tmp/ files an earlier attempt of the same delivery left (its process gone) are
/// removed; another delivery's are not.
#[test]
fn a_dead_attempts_tmp_file_is_removed() {
    let h = Home::new();
    h.maildir("Maildir");
    let mpath = h.path("attempt.msg");
    std::fs::write(&mpath, MSG).unwrap();
    let f = std::fs::File::open(&mpath).unwrap();
    let key =
        qmail_local::maildir::delivery_name(&f, b"Delivered-To: qltest@example.com\n", 0).unwrap();
    let host = nix::unistd::gethostname().unwrap().into_string().unwrap();
    let key = format!("{}.{host}", String::from_utf8(key).unwrap());
    // pid 0x7ffffff0 does not exist; our own pid does
    let dead = h.path(&format!("Maildir/tmp/{key},P2147483632"));
    let other = h.path("Maildir/tmp/1700000000.99.elsewhere");
    std::fs::write(&dead, "half").unwrap();
    std::fs::write(&other, "x").unwrap();
    let mut c = h.command(
        &[],
        "qltest",
        None,
        "example.com",
        "s@example.org",
        "./Maildir/",
        MSG,
        &[],
    );
    c.stdin(f);
    assert_eq!(c.output().unwrap().status.code(), Some(0));
    assert!(!std::path::Path::new(&dead).exists());
    assert!(std::path::Path::new(&other).exists());
    std::fs::remove_file(&other).unwrap();
    assert_eq!(h.maildir_messages("Maildir").len(), 1);
}
