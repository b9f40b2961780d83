//! Local delivery flows end to end through the installed system: Maildir, mbox, program
//! (and the environment and uid it runs with), forwarding, extensions and `-default`,
//! retries, bounces, exit 99, the Delivered-To loop check, a writable `.qmail`,
//! users/assign entries and virtualdomains.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use qmail_e2e::{mailbox, maildir_messages, test_user, uid_of, Daemon, Sandbox};

const DOM: &str = "e2e.example";

fn sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.control("me", &[DOM]);
    sb.control("locals", &[DOM]);
    sb
}

/// Write a file in a test home, mode 0644 (readable, not writable by others).
fn put(home: &Path, name: &str, text: &str) {
    let p = home.join(name);
    fs::write(&p, text).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
}

/// Queue a message with qmail-inject (envelope sender `from`, recipient `to`).
fn inject(sb: &Sandbox, from: &str, to: &str, msg: &str) {
    let dir = sb.scratch();
    fs::write(dir.join("m"), msg).unwrap();
    let r = sb.sh(&format!(
        "/var/qmail/bin/qmail-inject -f '{from}' '{to}' < {}",
        dir.join("m").display()
    ));
    assert_eq!(r.code, Some(0), "qmail-inject: {}", r.stderr_str());
}

/// Make qmail-send retry everything now (SIGALRM to qmail-send only: the rest of its
/// process group would die of it).
fn alarm(d: &Daemon) {
    kill(Pid::from_raw(d.pid() as i32), Signal::SIGALRM).unwrap();
}

/// The environment a program delivery recorded with `env -0`.
fn read_env(p: &Path) -> HashMap<String, String> {
    let b = fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    String::from_utf8_lossy(&b)
        .split('\0')
        .filter(|s| !s.is_empty())
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn text(m: &[u8]) -> String {
    String::from_utf8_lossy(m).into_owned()
}

fn mess_owner_uids(maildir: &Path) -> Vec<u32> {
    fs::read_dir(maildir.join("new"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().uid())
        .collect()
}

#[test]
fn maildir_mbox_and_program_with_its_environment_and_uid() {
    let sb = sandbox();
    let home = mailbox(&sb, "lfa");
    let abs = home.join("abs.mbox");
    put(
        &home,
        ".qmail-prog",
        &format!(
            "# a comment line\n./Maildir/\n./Mailbox\n{}\n|env -0 > env.out; id -u > uid.out; cat > prog.msg\n",
            abs.display()
        ),
    );
    let send = sb.start_send("./Maildir/");
    inject(
        &sb,
        "bob@e2e.example",
        "lfa-prog@e2e.example",
        "Subject: multi\n\nFrom the start\n>From quoted\nlast\n",
    );
    assert!(send.wait_log("end msg", 1, 30), "{}", send.log_text());
    assert!(
        send.log_text().contains("success: did_3+0+1/"),
        "{}",
        send.log_text()
    );
    let uid = uid_of(test_user());

    // Maildir: Return-Path and Delivered-To on top, owned by the user.
    let md = maildir_messages(&home.join("Maildir"));
    assert_eq!(md.len(), 1);
    let m = text(&md[0]);
    assert!(
        m.starts_with("Return-Path: <bob@e2e.example>\nDelivered-To: lfa-prog@e2e.example\n"),
        "{m}"
    );
    assert!(m.ends_with("\nFrom the start\n>From quoted\nlast\n"), "{m}");
    assert_eq!(mess_owner_uids(&home.join("Maildir")), vec![uid]);

    // mbox (relative and absolute): From_ line, >From quoting, blank line at the end.
    for p in [home.join("Mailbox"), abs] {
        let b = text(&fs::read(&p).unwrap());
        assert!(b.starts_with("From bob@e2e.example "), "{b}");
        let second = b.lines().nth(1).unwrap();
        assert_eq!(second, "Return-Path: <bob@e2e.example>", "{b}");
        assert!(b.contains("\nDelivered-To: lfa-prog@e2e.example\n"), "{b}");
        assert!(
            b.ends_with("\n>From the start\n>>From quoted\nlast\n\n"),
            "{b:?}"
        );
        let md = fs::metadata(&p).unwrap();
        assert_eq!(md.uid(), uid, "{}", p.display());
        assert_eq!(md.mode() & 0o777, 0o600, "{}", p.display());
    }

    // The program: raw message on stdin, environment per spec 4.5, user's uid.
    let pm = text(&fs::read(home.join("prog.msg")).unwrap());
    assert!(
        !pm.contains("Delivered-To:") && !pm.contains("Return-Path:"),
        "{pm}"
    );
    assert!(pm.contains("Subject: multi\n"), "{pm}");
    let got_uid = fs::read_to_string(home.join("uid.out")).unwrap();
    assert_eq!(got_uid.trim(), uid.to_string());
    let env = read_env(&home.join("env.out"));
    let want = [
        ("USER", test_user().to_string()),
        ("HOME", home.display().to_string()),
        ("LOCAL", "lfa-prog".into()),
        ("HOST", DOM.into()),
        ("HOST2", "e2e".into()),
        ("HOST3", "e2e".into()),
        ("HOST4", "e2e".into()),
        ("RECIPIENT", "lfa-prog@e2e.example".into()),
        ("SENDER", "bob@e2e.example".into()),
        ("NEWSENDER", "bob@e2e.example".into()),
        ("DTLINE", "Delivered-To: lfa-prog@e2e.example\n".into()),
        ("RPLINE", "Return-Path: <bob@e2e.example>\n".into()),
        ("EXT", "prog".into()),
        ("EXT2", "".into()),
        ("EXT3", "".into()),
        ("EXT4", "".into()),
    ];
    for (k, v) in want {
        assert_eq!(env.get(k), Some(&v), "{k} in {env:?}");
    }
    assert!(!env.contains_key("DEFAULT"), "{env:?}");
    let uf = env.get("UFLINE").unwrap();
    // "From bob@e2e.example Www Mmm DD HH:MM:SS YYYY\n", day zero-padded.
    let rest = uf.strip_prefix("From bob@e2e.example ").expect(uf);
    assert_eq!(rest.len(), 25, "{uf:?}");
    assert!(
        rest.ends_with('\n') && rest.as_bytes()[8].is_ascii_digit(),
        "{uf:?}"
    );
    // qmail-start's clean environment is inherited: PATH from the boot script.
    assert_eq!(
        env.get("PATH").map(String::as_str),
        Some("/var/qmail/bin:/usr/bin:/bin")
    );
}

#[test]
fn extensions_and_default_files() {
    let sb = sandbox();
    let home = mailbox(&sb, "lfb");
    put(&home, ".qmail-list-default", "|env -0 > env.$DEFAULT\n");
    put(&home, ".qmail-a-b", "|env -0 > env.ab\n");
    put(&home, ".qmail-default", "|env -0 > env.catchall\n");
    let send = sb.start_send("./Maildir/");
    inject(&sb, "s@x.example", "lfb-List-Foo-Bar@e2e.example", "\nx\n");
    inject(&sb, "s@x.example", "lfb-a-b@e2e.example", "\nx\n");
    inject(&sb, "", "lfb-zzz@E2E.example", "\nx\n");
    assert!(send.wait_log("end msg", 3, 30), "{}", send.log_text());

    // DEFAULT keeps the original case of the part matched by "default".
    let e = read_env(&home.join("env.Foo-Bar"));
    assert_eq!(e["EXT"], "List-Foo-Bar");
    assert_eq!(e["EXT2"], "Foo-Bar");
    assert_eq!(e["EXT3"], "Bar");
    assert_eq!(e["EXT4"], "");
    assert_eq!(e["DEFAULT"], "Foo-Bar");
    assert_eq!(e["LOCAL"], "lfb-List-Foo-Bar");

    let e = read_env(&home.join("env.ab"));
    assert_eq!(e["EXT"], "a-b");
    assert!(!e.contains_key("DEFAULT"));

    // Empty sender: SENDER empty, UFLINE names MAILER-DAEMON, Return-Path <>.
    let e = read_env(&home.join("env.catchall"));
    assert_eq!(e["EXT"], "zzz");
    assert_eq!(e["DEFAULT"], "zzz");
    assert_eq!(e["SENDER"], "");
    assert_eq!(e["NEWSENDER"], "");
    assert_eq!(e["RPLINE"], "Return-Path: <>\n");
    assert!(e["UFLINE"].starts_with("From MAILER-DAEMON "), "{e:?}");
    assert_eq!(e["HOST"], "E2E.example");
    assert_eq!(e["RECIPIENT"], "lfb-zzz@E2E.example");
    // Nothing went to the default Maildir.
    assert!(maildir_messages(&home.join("Maildir")).is_empty());
}

#[test]
fn forward_to_another_user_and_owner_sender() {
    let sb = sandbox();
    let a = mailbox(&sb, "lfc");
    let b = mailbox(&sb, "lfcb");
    put(
        &a,
        ".qmail-fwd",
        "&lfcb@e2e.example\nlfcb-copy@e2e.example\n",
    );
    put(&a, ".qmail-fwd-owner", "./Maildir/\n");
    put(&b, ".qmail-copy", "|env -0 > env.copy\n");
    let send = sb.start_send("./Maildir/");
    inject(
        &sb,
        "src@x.example",
        "lfc-fwd@e2e.example",
        "Subject: fw\n\nbody\n",
    );
    // The original plus the forwarded copy.
    assert!(send.wait_log("end msg", 2, 30), "{}", send.log_text());
    let log = send.log_text();
    assert!(log.contains("success: did_0+2+0/qp_"), "{log}");
    let got = maildir_messages(&b.join("Maildir"));
    assert_eq!(got.len(), 1, "{log}");
    let m = text(&got[0]);
    // The forwarding sender is the owner address, and the forwarder's DTLINE travels.
    assert!(
        m.starts_with("Return-Path: <lfc-fwd-owner@e2e.example>\nDelivered-To: lfcb@e2e.example\n"),
        "{m}"
    );
    assert!(m.contains("\nDelivered-To: lfc-fwd@e2e.example\n"), "{m}");
    assert!(m.ends_with("Subject: fw\n\nbody\n"), "{m}");
    let e = read_env(&b.join("env.copy"));
    assert_eq!(e["SENDER"], "lfc-fwd-owner@e2e.example");
    assert!(maildir_messages(&a.join("Maildir")).is_empty());
}

#[test]
fn exit_111_is_retried_then_succeeds() {
    let sb = sandbox();
    let home = mailbox(&sb, "lfd");
    put(
        &home,
        ".qmail-retry",
        "|if test -e tried; then cat > got; else touch tried; echo not yet; exit 111; fi\n",
    );
    let send = sb.start_send("./Maildir/");
    inject(&sb, "s@x.example", "lfd-retry@e2e.example", "\nretry me\n");
    assert!(
        send.wait_log("deferral: not_yet/", 1, 30),
        "{}",
        send.log_text()
    );
    // The message stays queued (the next local retry is 100 s away).
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(!home.join("got").exists());
    assert_eq!(sb.mess_files().len(), 1);
    alarm(&send);
    assert!(send.wait_log("end msg", 1, 30), "{}", send.log_text());
    let got = fs::read_to_string(home.join("got")).unwrap();
    assert!(
        got.starts_with("Received: (qmail ") && got.ends_with("\n\nretry me\n"),
        "{got}"
    );
    assert!(send.log_text().contains("success: did_0+0+1/"));
    assert!(sb.wait_queue_empty(10));
}

#[test]
fn exit_100_bounces_and_exit_99_stops_further_lines() {
    let sb = sandbox();
    let home = mailbox(&sb, "lfe");
    let snd = mailbox(&sb, "lfes");
    put(
        &home,
        ".qmail-fail",
        "|echo permanently broken; exit 100\n./Maildir/\n",
    );
    put(
        &home,
        ".qmail-stop",
        "|cat > stopped; exit 99\n./Maildir/\n|touch never\n",
    );
    let send = sb.start_send("./Maildir/");
    inject(
        &sb,
        "lfes@e2e.example",
        "lfe-stop@e2e.example",
        "Subject: s\n\nstop\n",
    );
    inject(
        &sb,
        "lfes@e2e.example",
        "lfe-fail@e2e.example",
        "Subject: f\n\nfail\n",
    );
    // Two messages and one bounce.
    assert!(send.wait_log("end msg", 3, 30), "{}", send.log_text());
    let log = send.log_text();
    assert!(log.contains("failure: permanently_broken/"), "{log}");
    assert!(log.contains("bounce msg "), "{log}");
    assert!(home.join("stopped").exists());
    assert!(!home.join("never").exists());
    assert!(maildir_messages(&home.join("Maildir")).is_empty());
    let b = maildir_messages(&snd.join("Maildir"));
    assert_eq!(b.len(), 1, "{log}");
    let m = text(&b[0]);
    assert!(m.starts_with("Return-Path: <>\n"), "{m}");
    assert!(
        m.contains("\n<lfe-fail@e2e.example>:\npermanently broken\n\n--- Below this line is a copy of the message.\n\n"),
        "{m}"
    );
}

#[test]
fn delivered_to_loop_is_detected() {
    let sb = sandbox();
    let home = mailbox(&sb, "lff");
    let snd = mailbox(&sb, "lffs");
    let send = sb.start_send("./Maildir/");
    inject(
        &sb,
        "lffs@e2e.example",
        "lff@e2e.example",
        "Delivered-To: lff@e2e.example\nSubject: loop\n\nx\n",
    );
    assert!(send.wait_log("end msg", 2, 30), "{}", send.log_text());
    let log = send.log_text();
    assert!(
        log.contains(
            "failure: This_message_is_looping:_it_already_has_my_Delivered-To_line._(#5.4.6)/"
        ),
        "{log}"
    );
    assert!(maildir_messages(&home.join("Maildir")).is_empty());
    let b = maildir_messages(&snd.join("Maildir"));
    assert_eq!(b.len(), 1);
    // A Delivered-To in the body is no loop.
    inject(
        &sb,
        "lffs@e2e.example",
        "lff@e2e.example",
        "Subject: no loop\n\nDelivered-To: lff@e2e.example\n",
    );
    assert!(send.wait_log("end msg", 3, 30), "{}", send.log_text());
    assert_eq!(maildir_messages(&home.join("Maildir")).len(), 1);
}

#[test]
fn world_writable_dot_qmail_defers_until_fixed() {
    let sb = sandbox();
    let home = mailbox(&sb, "lfg");
    put(&home, ".qmail-ww", "./Maildir/\n");
    fs::set_permissions(home.join(".qmail-ww"), fs::Permissions::from_mode(0o666)).unwrap();
    // Group-writable is allowed (conf-patrn is 002).
    put(&home, ".qmail-gw", "./Maildir/\n");
    fs::set_permissions(home.join(".qmail-gw"), fs::Permissions::from_mode(0o664)).unwrap();
    let send = sb.start_send("./Maildir/");
    inject(&sb, "s@x.example", "lfg-ww@e2e.example", "\nww\n");
    assert!(
        send.wait_log("deferral: Uh-oh:_.qmail_file_is_writable._(#4.7.0)/", 1, 30),
        "{}",
        send.log_text()
    );
    inject(&sb, "s@x.example", "lfg-gw@e2e.example", "\ngw\n");
    assert!(send.wait_log("end msg", 1, 30), "{}", send.log_text());
    assert_eq!(maildir_messages(&home.join("Maildir")).len(), 1);
    fs::set_permissions(home.join(".qmail-ww"), fs::Permissions::from_mode(0o644)).unwrap();
    alarm(&send);
    assert!(send.wait_log("end msg", 2, 30), "{}", send.log_text());
    assert_eq!(maildir_messages(&home.join("Maildir")).len(), 2);
}

/// Append lines to users/assign (keeping the final ".") and compile it.
fn assign(sb: &Sandbox, lines: &[String]) {
    let p = sb.path("users/assign");
    let mut t = fs::read_to_string(&p).unwrap_or_default();
    if let Some(s) = t.strip_suffix(".\n") {
        t = s.to_string();
    }
    for l in lines {
        t.push_str(l);
        t.push('\n');
    }
    t.push_str(".\n");
    fs::write(&p, t).unwrap();
    let r = sb.sh("/var/qmail/bin/qmail-newu");
    assert_eq!(r.code, Some(0), "{}", r.stderr_str());
}

fn user_ids() -> (u32, u32) {
    let pw = nix::unistd::User::from_name(test_user()).unwrap().unwrap();
    (pw.uid.as_raw(), pw.gid.as_raw())
}

#[test]
fn users_assign_exact_and_wildcard_entries() {
    let sb = sandbox();
    let home: PathBuf = mailbox(&sb, "lfh");
    let (uid, gid) = user_ids();
    let h = home.display();
    assign(
        &sb,
        &[
            // exact: the ext comes from the entry; case-insensitive.
            format!("=Exact:{}:{uid}:{gid}:{h}:-:special:", test_user()),
            // wildcard: ext = pre + the rest of the address.
            format!("+wild:{}:{uid}:{gid}:{h}:-:w-:", test_user()),
            // a longer wildcard beats a shorter one; an exact entry beats both.
            format!("+wildlong:{}:{uid}:{gid}:{h}:-:long-:", test_user()),
            format!("=wildx:{}:{uid}:{gid}:{h}:-:exactx:", test_user()),
        ],
    );
    put(&home, ".qmail-special", "|echo special > r.special\n");
    put(
        &home,
        ".qmail-w-default",
        "|echo \"$EXT $DEFAULT\" >> r.wild\n",
    );
    put(&home, ".qmail-long-default", "|echo \"$EXT\" >> r.long\n");
    put(&home, ".qmail-exactx", "|echo x > r.x\n");
    let send = sb.start_send("./Maildir/");
    for to in ["EXACT", "wildFoo", "wild", "wildlongBar", "wildx"] {
        inject(&sb, "s@x.example", &format!("{to}@e2e.example"), "\nx\n");
    }
    assert!(send.wait_log("end msg", 5, 30), "{}", send.log_text());
    assert!(!send.log_text().contains("failure"), "{}", send.log_text());
    assert_eq!(
        fs::read_to_string(home.join("r.special")).unwrap(),
        "special\n"
    );
    let mut w: Vec<String> = fs::read_to_string(home.join("r.wild"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    w.sort();
    assert_eq!(w, vec!["w- ", "w-Foo Foo"]);
    assert_eq!(
        fs::read_to_string(home.join("r.long")).unwrap(),
        "long-Bar\n"
    );
    assert_eq!(fs::read_to_string(home.join("r.x")).unwrap(), "x\n");
}

#[test]
fn virtualdomains_route_to_a_user_extension() {
    let sb = sandbox();
    let home = mailbox(&sb, "lfi");
    sb.control(
        "virtualdomains",
        &[
            "virt.example:lfi",
            ".sub.example:lfi-sub",
            "lfi-only@solo.example:lfi-solo",
        ],
    );
    put(&home, ".qmail-default", "|env -0 > env.$DEFAULT\n");
    let send = sb.start_send("./Maildir/");
    inject(&sb, "s@x.example", "joe@virt.example", "\nx\n");
    inject(&sb, "s@x.example", "ann@a.sub.example", "\nx\n");
    inject(&sb, "s@x.example", "lfi-only@solo.example", "\nx\n");
    assert!(send.wait_log("end msg", 3, 30), "{}", send.log_text());
    let log = send.log_text();
    assert!(log.contains("to local lfi-joe@virt.example"), "{log}");
    let e = read_env(&home.join("env.joe"));
    assert_eq!(e["RECIPIENT"], "lfi-joe@virt.example");
    assert_eq!(e["LOCAL"], "lfi-joe");
    assert_eq!(e["HOST"], "virt.example");
    let e = read_env(&home.join("env.sub-ann"));
    assert_eq!(e["RECIPIENT"], "lfi-sub-ann@a.sub.example");
    assert_eq!(e["HOST2"], "a.sub");
    assert_eq!(e["HOST3"], "a");
    assert_eq!(e["HOST4"], "a");
    let e = read_env(&home.join("env.solo-lfi-only"));
    assert_eq!(e["RECIPIENT"], "lfi-solo-lfi-only@solo.example");
}

#[test]
fn deliveries_run_as_the_users_uid() {
    let sb = sandbox();
    let home = mailbox(&sb, "lfj");
    let (uid, gid) = user_ids();
    // The alias user's private home catches unknown local names.
    let alias_home = sb.scratch().join("alias");
    fs::create_dir_all(&alias_home).unwrap();
    let alias = nix::unistd::User::from_name("alias").unwrap().unwrap();
    nix::unistd::chown(&alias_home, Some(alias.uid), Some(alias.gid)).unwrap();
    assign(
        &sb,
        &[format!(
            "+:alias:{}:{}:{}:-::",
            alias.uid,
            alias.gid,
            alias_home.display()
        )],
    );
    put(
        &home,
        ".qmail-who",
        "|id -u > who.uid; id -g > who.gid; id -G > who.groups\n",
    );
    let out = sb.scratch();
    put(
        &alias_home,
        ".qmail-nobody",
        &format!(
            "|id -u > {0}/alias.uid; id -g > {0}/alias.gid\n",
            out.display()
        ),
    );
    fs::set_permissions(&out, fs::Permissions::from_mode(0o777)).unwrap();
    let send = sb.start_send("./Maildir/");
    inject(&sb, "s@x.example", "lfj-who@e2e.example", "\nx\n");
    inject(&sb, "s@x.example", "nobody@e2e.example", "\nx\n");
    assert!(send.wait_log("end msg", 2, 30), "{}", send.log_text());
    let rd = |p: PathBuf| fs::read_to_string(p).unwrap().trim().to_string();
    assert_eq!(rd(home.join("who.uid")), uid.to_string());
    assert_eq!(rd(home.join("who.gid")), gid.to_string());
    // No supplementary groups beyond the user's gid.
    assert_eq!(rd(home.join("who.groups")), gid.to_string());
    assert_eq!(rd(out.join("alias.uid")), alias.uid.to_string());
    assert_eq!(rd(out.join("alias.gid")), alias.gid.to_string());
}

/// The uid and gid of each process qmail-start set up, by program name.
fn daemon_ids(root: u32) -> Vec<(String, u32, u32)> {
    let mut v = Vec::new();
    for e in fs::read_dir("/proc").unwrap().filter_map(|e| e.ok()) {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(st) = fs::read_to_string(format!("/proc/{pid}/status")) else {
            continue;
        };
        let field = |k: &str| {
            st.lines()
                .find_map(|l| l.strip_prefix(k))
                .map(|s| s.split_whitespace().next().unwrap_or("").to_string())
                .unwrap_or_default()
        };
        if pid == root || field("PPid:") == root.to_string() {
            v.push((
                field("Name:"),
                field("Uid:").parse().unwrap(),
                field("Gid:").parse().unwrap(),
            ));
        }
    }
    v.sort();
    v
}

#[test]
fn qmail_start_runs_each_program_under_its_own_uid() {
    let sb = sandbox();
    let send = sb.start_send("./Maildir/");
    let gid = |g: &str| {
        nix::unistd::Group::from_name(g)
            .unwrap()
            .unwrap()
            .gid
            .as_raw()
    };
    let want = vec![
        ("qmail-clean".to_string(), uid_of("qmailq"), gid("qmail")),
        // qmail-start sets gid qmail before forking, lspawn keeps uid root.
        ("qmail-lspawn".to_string(), 0, gid("qmail")),
        ("qmail-rspawn".to_string(), uid_of("qmailr"), gid("qmail")),
        ("qmail-send".to_string(), uid_of("qmails"), gid("qmail")),
        // started by qmail-send, no change of uid
        ("qmail-todo".to_string(), uid_of("qmails"), gid("qmail")),
        ("splogger".to_string(), uid_of("qmaill"), gid("nofiles")),
    ];
    let mut got = Vec::new();
    qmail_e2e::wait_for(10, || {
        got = daemon_ids(send.pid());
        got.len() >= 5
    });
    // The harness names no logger program: only the five qmail programs are checked.
    let got: Vec<_> = got
        .into_iter()
        .filter(|(n, _, _)| n.starts_with("qmail-"))
        .collect();
    let want: Vec<_> = want
        .into_iter()
        .filter(|(n, _, _)| n.starts_with("qmail-"))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn sticky_home_defers_and_root_is_never_a_user() {
    let sb = sandbox();
    let home = mailbox(&sb, "lfk");
    let snd = mailbox(&sb, "lfks");
    // Root through users/assign: refused (temporarily, like qmail's QLX_ROOT).
    assign(&sb, &[format!("=lfkroot:root:0:0:{}:::", home.display())]);
    fs::set_permissions(&home, fs::Permissions::from_mode(0o1755)).unwrap();
    let send = sb.start_send("./Maildir/");
    inject(&sb, "lfks@e2e.example", "lfk@e2e.example", "\nsticky\n");
    assert!(
        send.wait_log(
            "deferral: Home_directory_is_sticky:_user_is_editing_his_.qmail_file._(#4.2.1)/",
            1,
            30
        ),
        "{}",
        send.log_text()
    );
    inject(&sb, "lfks@e2e.example", "lfkroot@e2e.example", "\nroot\n");
    assert!(send.wait_log("deferral: ", 2, 30), "{}", send.log_text());
    let log = send.log_text();
    assert!(
        log.contains("deferral: Not_allowed_to_perform_deliveries_as_root./\n"),
        "{log}"
    );
    assert!(maildir_messages(&home.join("Maildir")).is_empty());
    // Unstick: the first message is delivered on the next attempt.
    fs::set_permissions(&home, fs::Permissions::from_mode(0o755)).unwrap();
    alarm(&send);
    assert!(send.wait_log("end msg", 1, 30), "{}", send.log_text());
    assert_eq!(maildir_messages(&home.join("Maildir")).len(), 1);
    assert!(maildir_messages(&snd.join("Maildir")).is_empty());
}

#[test]
fn forward_only_dot_qmail_refuses_file_and_program_lines() {
    let sb = sandbox();
    let home = mailbox(&sb, "lfl");
    let other = mailbox(&sb, "lflo");
    put(&home, ".qmail-x", "&lflo@e2e.example\n./Maildir/\n");
    fs::set_permissions(home.join(".qmail-x"), fs::Permissions::from_mode(0o744)).unwrap();
    put(
        &home,
        ".qmail-list",
        "+list\n&lflo@e2e.example\n|touch ran\n",
    );
    put(&home, ".qmail-fwd", "&lflo@e2e.example\n");
    fs::set_permissions(home.join(".qmail-fwd"), fs::Permissions::from_mode(0o744)).unwrap();
    let send = sb.start_send("./Maildir/");
    inject(&sb, "s@x.example", "lfl-x@e2e.example", "\nx\n");
    inject(&sb, "s@x.example", "lfl-list@e2e.example", "\nx\n");
    inject(&sb, "s@x.example", "lfl-fwd@e2e.example", "\nx\n");
    assert!(
        send.wait_log("has_file_delivery_but_has_x_bit_set._(#4.7.0)/", 1, 30),
        "{}",
        send.log_text()
    );
    assert!(
        send.wait_log("has_prog_delivery_but_has_x_bit_set._(#4.7.0)/", 1, 30),
        "{}",
        send.log_text()
    );
    // The x-bit file with only a forward works: the original and the forwarded copy.
    assert!(send.wait_log("end msg", 2, 30), "{}", send.log_text());
    assert_eq!(maildir_messages(&other.join("Maildir")).len(), 1);
    assert!(!home.join("ran").exists());
    assert!(maildir_messages(&home.join("Maildir")).is_empty());
}

#[test]
fn rewriting_verp_percenthack_envnoathost() {
    let sb = sandbox();
    let home = mailbox(&sb, "lfm");
    sb.control("percenthack", &["pct.example"]);
    sb.control("envnoathost", &["e2e.example"]);
    put(
        &home,
        ".qmail-default",
        "|echo \"$SENDER $RECIPIENT\" >> seen\n",
    );
    let send = sb.start_send("./Maildir/");
    // VERP: pre@host-@[] with recipient box@dom → prebox=dom@host.
    inject(&sb, "list-@lists.example-@[]", "lfm-a@e2e.example", "\nx\n");
    // percenthack: u%h@pct.example → u@h (repeatedly).
    inject(&sb, "s@x.example", "lfm-b%e2e.example@pct.example", "\nx\n");
    inject(
        &sb,
        "s@x.example",
        "lfm-c%e2e.example%pct.example@pct.example",
        "\nx\n",
    );
    assert!(send.wait_log("end msg", 3, 30), "{}", send.log_text());
    // envnoathost: a recipient without @ (qmail-queue directly; qmail-inject would
    // qualify it itself).
    let r = sb.run_fd01(
        None,
        &["/var/qmail/bin/qmail-queue"],
        b"Subject: noat\n\nx\n",
        b"Fs@x.example\0Tlfm-d\0\0",
    );
    assert_eq!(r.code, Some(0));
    assert!(send.wait_log("end msg", 4, 30), "{}", send.log_text());
    let mut seen: Vec<String> = fs::read_to_string(home.join("seen"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            "list-lfm-a=e2e.example@lists.example lfm-a@e2e.example",
            "s@x.example lfm-b@e2e.example",
            "s@x.example lfm-c@e2e.example",
            "s@x.example lfm-d@e2e.example",
        ]
    );
}

#[test]
fn concurrencylocal_limits_parallel_deliveries() {
    let sb = sandbox();
    let home = mailbox(&sb, "lfn");
    sb.control("concurrencylocal", &["2"]);
    put(
        &home,
        ".qmail-slow",
        "|echo start >> trace; sleep 0.5; echo end >> trace\n",
    );
    let send = sb.start_send("./Maildir/");
    for _ in 0..6 {
        inject(&sb, "s@x.example", "lfn-slow@e2e.example", "\nx\n");
    }
    assert!(send.wait_log("end msg", 6, 60), "{}", send.log_text());
    let log = send.log_text();
    assert!(log.contains("status: local 2/2 remote 0/20"), "{log}");
    assert!(!log.contains("status: local 3/2"), "{log}");
    // Never more than two programs running at once.
    let mut running = 0i32;
    let mut max = 0;
    for l in fs::read_to_string(home.join("trace")).unwrap().lines() {
        running += if l == "start" { 1 } else { -1 };
        max = max.max(running);
    }
    assert_eq!(max, 2);
}

#[test]
fn concurrent_mbox_deliveries_are_locked_and_intact() {
    let sb = sandbox();
    let home = mailbox(&sb, "lfo");
    put(&home, ".qmail", "./Mailbox\n");
    let send = sb.start_send("./Maildir/");
    // 30 messages of ~20 KiB each at concurrencylocal 10: writers overlap.
    let body: String = (0..400)
        .map(|i| format!("line {i:04} From here on\n"))
        .collect();
    for i in 0..30 {
        inject(
            &sb,
            "s@x.example",
            "lfo@e2e.example",
            &format!("Subject: m{i}\n\n{body}"),
        );
    }
    assert!(send.wait_log("end msg", 30, 60), "{}", send.log_text());
    let mbox = fs::read_to_string(home.join("Mailbox")).unwrap();
    let msgs: Vec<&str> = mbox.split("\n\nFrom s@x.example ").collect();
    assert_eq!(msgs.len(), 30);
    let mut subjects: Vec<String> = mbox
        .lines()
        .filter_map(|l| l.strip_prefix("Subject: "))
        .map(String::from)
        .collect();
    subjects.sort();
    let mut want: Vec<String> = (0..30).map(|i| format!("m{i}")).collect();
    want.sort();
    assert_eq!(subjects, want);
    // Every message whole: the body lines in order, none interleaved.
    for m in msgs {
        let lines: Vec<&str> = m.lines().filter(|l| l.starts_with("line ")).collect();
        assert_eq!(lines.len(), 400);
        for (i, l) in lines.iter().enumerate() {
            assert_eq!(*l, format!("line {i:04} From here on"));
        }
    }
}

#[test]
fn forwarding_loop_between_two_users_is_stopped() {
    let sb = sandbox();
    let a = mailbox(&sb, "lfp");
    let b = mailbox(&sb, "lfpb");
    let snd = mailbox(&sb, "lfps");
    put(&a, ".qmail", "&lfpb@e2e.example\n");
    put(&b, ".qmail", "&lfp@e2e.example\n");
    let send = sb.start_send("./Maildir/");
    inject(
        &sb,
        "lfps@e2e.example",
        "lfp@e2e.example",
        "Subject: ping\n\nx\n",
    );
    assert!(
        send.wait_log("This_message_is_looping", 1, 30),
        "{}",
        send.log_text()
    );
    // original, copy to b, copy back to a (loop), bounce
    assert!(send.wait_log("end msg", 4, 30), "{}", send.log_text());
    assert!(maildir_messages(&a.join("Maildir")).is_empty());
    assert!(maildir_messages(&b.join("Maildir")).is_empty());
    let bounce = maildir_messages(&snd.join("Maildir"));
    assert_eq!(bounce.len(), 1);
    let m = text(&bounce[0]);
    assert!(
        m.contains("<lfp@e2e.example>:\nThis message is looping: it already has my Delivered-To line. (#5.4.6)\n"),
        "{m}"
    );
}

#[test]
fn a_large_message_arrives_intact_everywhere() {
    let sb = sandbox();
    let home = mailbox(&sb, "lfq");
    put(&home, ".qmail", "./Maildir/\n./Mailbox\n|cat > prog.out\n");
    let body: String = (0..100_000)
        .map(|i| format!("{i:08} abcdefghijklmnopqrstuvwxyz\n"))
        .collect();
    let msg = format!("Subject: big\n\n{body}");
    let send = sb.start_send("./Maildir/");
    inject(&sb, "s@x.example", "lfq@e2e.example", &msg);
    assert!(send.wait_log("end msg", 1, 60), "{}", send.log_text());
    let md = maildir_messages(&home.join("Maildir"));
    assert_eq!(md.len(), 1);
    assert!(text(&md[0]).ends_with(&format!("\n\n{body}")));
    let mb = fs::read_to_string(home.join("Mailbox")).unwrap();
    assert!(mb.ends_with(&format!("\n\n{body}\n")));
    let p = fs::read_to_string(home.join("prog.out")).unwrap();
    assert!(p.ends_with(&format!("\n\n{body}")));
    assert!(p.len() > body.len());
}

#[test]
fn one_message_to_local_and_remote_recipients() {
    let sb = sandbox();
    let home = mailbox(&sb, "lfr");
    let snd = mailbox(&sb, "lfrs");
    // Remote mail goes to a closed loopback port: a deferral every time.
    sb.control("smtproutes", &[":127.0.0.1:1"]);
    sb.control("queuelifetime", &["3"]);
    let send = sb.start_send("./Maildir/");
    inject(
        &sb,
        "lfrs@e2e.example",
        "lfr@e2e.example",
        "To: lfr@e2e.example, far@remote.example\nSubject: both\n\nx\n",
    );
    // qmail-inject takes the recipients from the command line only; queue both.
    let r = sb.run_fd01(
        None,
        &["/var/qmail/bin/qmail-queue"],
        b"Subject: both\n\nx\n",
        b"Flfrs@e2e.example\0Tlfr@e2e.example\0Tfar@remote.example\0\0",
    );
    assert_eq!(r.code, Some(0));
    assert!(send.wait_log("end msg", 1, 30), "{}", send.log_text());
    assert!(
        send.wait_log("to remote far@remote.example", 1, 30),
        "{}",
        send.log_text()
    );
    assert!(send.wait_log("deferral: ", 1, 60), "{}", send.log_text());
    // The local part is done and its channel file gone; the remote one waits.
    assert!(qmail_e2e::wait_for(10, || sb
        .ls("queue/local")
        .iter()
        .all(|d| sb.ls(&format!("queue/local/{d}")).is_empty())));
    let remote: usize = sb
        .ls("queue/remote")
        .iter()
        .map(|d| sb.ls(&format!("queue/remote/{d}")).len())
        .sum();
    assert_eq!(remote, 1);
    assert_eq!(maildir_messages(&home.join("Maildir")).len(), 2);
    // After the lifetime, the bounce names only the remote recipient.
    std::thread::sleep(std::time::Duration::from_secs(4));
    alarm(&send);
    assert!(send.wait_log("end msg", 3, 60), "{}", send.log_text());
    let b = maildir_messages(&snd.join("Maildir"));
    assert_eq!(b.len(), 1, "{}", send.log_text());
    let m = text(&b[0]);
    assert!(m.contains("\n<far@remote.example>:\n"), "{m}");
    assert!(!m.contains("<lfr@e2e.example>:"), "{m}");
    assert!(
        m.contains("I'm not going to try again; this message has been in the queue too long.\n"),
        "{m}"
    );
}

#[test]
fn passwd_users_through_qmail_getpw() {
    let sb = sandbox();
    // No users/assign: qmail-lspawn asks qmail-getpw, which finds the passwd user
    // qmailtest (home /home/qmailtest) and the extension.
    let user = test_user();
    let pw = nix::unistd::User::from_name(user).unwrap().unwrap();
    let out = sb.scratch();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o777)).unwrap();
    let ext = format!("lfgetpw{}", std::process::id());
    let dq = pw.dir.join(format!(".qmail-{ext}-default"));
    fs::write(
        &dq,
        format!(
            "|env -0 > {}/env; id -u > {}/uid\n",
            out.display(),
            out.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&dq, fs::Permissions::from_mode(0o644)).unwrap();
    let send = sb.start_send("./Maildir/");
    inject(
        &sb,
        "s@x.example",
        &format!("{user}-{ext}-Box@e2e.example"),
        "\nx\n",
    );
    let ok = send.wait_log("end msg", 1, 30);
    let _ = fs::remove_file(&dq);
    assert!(ok, "{}", send.log_text());
    let e = read_env(&out.join("env"));
    assert_eq!(e["USER"], user);
    assert_eq!(e["HOME"], pw.dir.display().to_string());
    assert_eq!(e["EXT"], format!("{ext}-Box"));
    assert_eq!(e["DEFAULT"], "Box");
    assert_eq!(
        fs::read_to_string(out.join("uid")).unwrap().trim(),
        pw.uid.to_string()
    );
}

#[test]
fn multi_line_default_delivery() {
    let sb = sandbox();
    let home = mailbox(&sb, "lfs");
    let send = sb.start_send("./Maildir/\n|echo \"$RECIPIENT\" > dd.out");
    inject(&sb, "s@x.example", "lfs@e2e.example", "\nx\n");
    // An empty .qmail also means the default delivery.
    put(&home, ".qmail-empty", "");
    inject(&sb, "s@x.example", "lfs-empty@e2e.example", "\nx\n");
    assert!(send.wait_log("end msg", 2, 30), "{}", send.log_text());
    assert_eq!(maildir_messages(&home.join("Maildir")).len(), 2);
    let o = fs::read_to_string(home.join("dd.out")).unwrap();
    assert!(
        o == "lfs@e2e.example\n" || o == "lfs-empty@e2e.example\n",
        "{o}"
    );
    assert_eq!(send.log_text().matches("success: did_1+0+1/").count(), 2);
}

#[test]
fn one_message_with_many_recipients_and_one_bounce() {
    let sb = sandbox();
    let home = mailbox(&sb, "lfu");
    let snd = mailbox(&sb, "lfus");
    put(&home, ".qmail-ok-default", "./Maildir/\n");
    put(
        &home,
        ".qmail-bad-default",
        "|echo \"no $DEFAULT\"; exit 100\n",
    );
    let mut env = b"Flfus@e2e.example\0".to_vec();
    for i in 0..200 {
        env.extend_from_slice(
            format!("Tlfu-ok-{i}@e2e.example\0Tlfu-bad-{i}@e2e.example\0").as_bytes(),
        );
    }
    env.push(0);
    let send = sb.start_send("./Maildir/");
    let r = sb.run_fd01(
        None,
        &["/var/qmail/bin/qmail-queue"],
        b"Subject: many\n\nx\n",
        &env,
    );
    assert_eq!(r.code, Some(0));
    assert!(send.wait_log("end msg", 2, 120), "{}", send.log_text());
    assert_eq!(maildir_messages(&home.join("Maildir")).len(), 200);
    let b = maildir_messages(&snd.join("Maildir"));
    assert_eq!(b.len(), 1);
    let m = text(&b[0]);
    for i in 0..200 {
        assert!(
            m.contains(&format!("\n<lfu-bad-{i}@e2e.example>:\nno {i}\n\n")),
            "{i}: {m}"
        );
        assert!(!m.contains(&format!("<lfu-ok-{i}@e2e.example>")));
    }
    assert_eq!(send.log_text().matches("bounce msg ").count(), 1);
}

#[test]
fn delivery_error_texts() {
    let sb = sandbox();
    let home = mailbox(&sb, "lfv");
    put(&home, ".qmail-nodir", "./NoSuchMaildir/\n");
    put(&home, ".qmail-nombox", "/nonexistent/dir/mbox\n");
    put(&home, ".qmail-blank", "\n./Maildir/\n");
    put(&home, ".qmail-crash", "|kill -9 $$\n");
    let send = sb.start_send("./Maildir/");
    for e in ["nodir", "nombox", "blank", "crash"] {
        inject(&sb, "s@x.example", &format!("lfv-{e}@e2e.example"), "\nx\n");
    }
    assert!(send.wait_log("deferral: ", 4, 30), "{}", send.log_text());
    let log = send.log_text();
    for want in [
        "deferral: Unable_to_chdir_to_maildir._(#4.2.1)/",
        "deferral: Unable_to_open_/nonexistent/dir/mbox:_file_does_not_exist._(#4.2.1)/",
        "deferral: Uh-oh:_first_line_of_.qmail_file_is_blank._(#4.2.1)/",
        "deferral: Aack,_child_crashed._(#4.3.0)/",
    ] {
        assert!(log.contains(want), "{want}\n{log}");
    }
}
