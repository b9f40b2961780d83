//! Crash safety: 2,000 messages flow from several injectors while qmail-send and all its
//! children are killed with SIGKILL at random instants and restarted, 20 times. Afterwards
//! every message qmail-queue accepted has been delivered at least once, and after a final
//! run nothing is left in the queue, and nothing is left in Maildir/tmp. A delivery
//! repeated after a kill makes a second copy, as in qmail; qmail-send logs each delivery
//! that may be a repeat. The counts are printed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::print_stdout)]
use std::collections::HashMap;
use std::fs;
use std::time::{Duration, Instant, UNIX_EPOCH};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use qmail_e2e::{mailbox, wait_for, Rng, Sandbox};

const INJECTORS: usize = 4;
const PER_INJECTOR: usize = 500;
const KILLS: usize = 20;
/// qmail-send's warning at start for a delivery under way when the last one died.
const MAYBE_REPEAT: &str = "was under way when qmail-send stopped";

/// A small xorshift generator; the seed is printed so a failure can be replayed
/// (`CRASH_SEED=…`).
/// Every entry below a queue directory (recursively through the split subdirectories).
fn queue_entries(sb: &Sandbox, dir: &str) -> Vec<String> {
    let mut v = Vec::new();
    for e in sb.ls(&format!("queue/{dir}")) {
        let p = sb.path(format!("queue/{dir}/{e}"));
        if p.is_dir() {
            for f in sb.ls(&format!("queue/{dir}/{e}")) {
                v.push(format!("{dir}/{e}/{f}"));
            }
        } else {
            v.push(format!("{dir}/{e}"));
        }
    }
    v
}

/// Make the orphans a crash leaves (bare mess/ files, pid/ files of killed qmail-queues)
/// 37 hours old, so qmail-send's sweep takes them (spec 2.9).
const AGE_ORPHANS: &str = "cd /var/qmail/queue && for f in mess/*/* pid/*; do \
     [ -e \"$f\" ] && touch -a -d '37 hours ago' \"$f\"; done; true";

#[test]
fn sigkill_at_random_instants_loses_nothing() {
    let mut rng = Rng::seeded("CRASH_SEED", "crash_recovery");
    let started = Instant::now();

    let sb = Sandbox::new();
    sb.control("me", &["crash.example"]);
    sb.control("locals", &["crash.example"]);
    let home = mailbox(&sb, "crash");
    let work = sb.scratch();
    fs::write(
        work.join("env"),
        "Fsender@crash.example\0Tcrash@crash.example\0\0",
    )
    .unwrap();

    // The injectors (paced, so messages keep arriving while qmail-send is killed): each
    // records the tag of every message qmail-queue accepted.
    let mut scripts = Vec::new();
    for k in 0..INJECTORS {
        let script = format!(
            "cd {w} && for i in $(seq 1 {n}); do \
               t=inj{k}-$i; \
               printf 'Subject: %s\\n\\n%s\\n' $t $t > m.{k}; \
               /var/qmail/bin/qmail-queue < m.{k} 1< env && echo $t >> accepted.{k}; \
               sleep 0.03; \
             done",
            w = work.display(),
            n = PER_INJECTOR
        );
        scripts.push(script);
    }

    let sbr = &sb;
    let mut warned = 0usize;
    let mut send = std::thread::scope(|scope| {
        let injectors: Vec<_> = scripts
            .iter()
            .map(|s| {
                scope.spawn(move || {
                    let r = sbr.sh(s);
                    (r, started.elapsed().as_secs_f64())
                })
            })
            .collect();
        let mut send = sb.start_send("./Maildir/");
        for round in 0..KILLS {
            std::thread::sleep(rng.millis(50, 1000));
            send.signal(Signal::SIGKILL);
            // each qmail-send's log is gone once the next starts: count its repeats now
            warned += send.log_text().matches(MAYBE_REPEAT).count();
            drop(send);
            // Sometimes stay down a little, so todo/ piles up.
            if round % 3 == 0 {
                std::thread::sleep(rng.millis(0, 500));
            }
            send = sb.start_send("./Maildir/");
        }
        let kills_done = started.elapsed().as_secs_f64();
        let queued = sb.mess_files().len();
        for j in injectors {
            let (r, t) = j.join().unwrap();
            assert_eq!(r.code, Some(0), "injector: {}", r.stderr_str());
            println!("crash_recovery: an injector finished at {t:.1} s");
        }
        println!("crash_recovery: kills ended at {kills_done:.1} s with {queued} messages queued");
        send
    });
    // The final run: wait until every message is finished (SIGALRM in case something
    // deferred): nothing in todo/, info/, local/, remote/.
    // An intd/ entry without todo/ is what a forwarding qmail-queue killed with its
    // qmail-local leaves: not work in progress but a leftover for the 36-hour sweep
    // (removed below), so it does not count as busy.
    let busy = |sb: &Sandbox| {
        ["todo", "info", "local", "remote", "bounce"]
            .iter()
            .any(|d| !queue_entries(sb, d).is_empty())
    };
    let drained = wait_for(60, || {
        let _ = kill(Pid::from_raw(send.pid() as i32), Signal::SIGALRM);
        std::thread::sleep(Duration::from_millis(200));
        !busy(&sb)
    });
    if !drained {
        let mut left = Vec::new();
        for dir in [
            "mess", "todo", "intd", "pid", "info", "local", "remote", "bounce",
        ] {
            left.extend(queue_entries(&sb, dir));
        }
        let log = send.log_text();
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        panic!(
            "queue did not drain: {left:?}\nlog tail (reversed):\n{}",
            tail.join("\n")
        );
    }
    send.stop();
    warned += send.log_text().matches(MAYBE_REPEAT).count();
    // A kill between "end msg" (info unlinked) and qmail-clean's removal of mess/ leaves
    // a bare mess file (state S2, "being eliminated"), which qmail-send sweeps once its
    // atime is 36 hours old (spec 2.9). Age those and let a fresh qmail-send sweep them.
    // A qmail-queue killed with the tree (a bounce's) after creating its pid file leaves
    // that file, swept in the same way once 36 hours old.
    let orphans = sb.mess_files();
    if !orphans.is_empty() || !queue_entries(&sb, "pid").is_empty() {
        let r = sb.sh(AGE_ORPHANS);
        assert_eq!(r.code, Some(0), "{}", r.stderr_str());
        let mut send = sb.start_send("./Maildir/");
        assert!(
            wait_for(30, || sb.mess_files().is_empty()
                && queue_entries(&sb, "pid").is_empty()),
            "orphans not swept: {:?}\n{}",
            sb.mess_files(),
            send.log_text()
        );
        send.stop();
    }

    let mut accepted = Vec::new();
    for k in 0..INJECTORS {
        let t = fs::read_to_string(work.join(format!("accepted.{k}"))).unwrap_or_default();
        accepted.extend(t.lines().map(String::from));
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut delivered = 0usize;
    for e in fs::read_dir(home.join("Maildir/new")).unwrap() {
        let m = fs::read_to_string(e.unwrap().path()).unwrap();
        let tag = m
            .lines()
            .find_map(|l| l.strip_prefix("Subject: "))
            .unwrap_or("")
            .to_string();
        assert!(!tag.is_empty(), "a message without its tag: {m}");
        *seen.entry(tag).or_default() += 1;
        delivered += 1;
    }
    let missing: Vec<&String> = accepted.iter().filter(|t| !seen.contains_key(*t)).collect();
    let duplicates: usize = seen.values().map(|n| n - 1).sum();
    let tmp_names: Vec<String> = fs::read_dir(home.join("Maildir/tmp"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let tmp_left = tmp_names.len();
    println!(
        "crash_recovery: in Maildir/tmp: {:?}",
        &tmp_names[..tmp_left.min(5)]
    );
    println!(
        "crash_recovery: {} accepted, {delivered} delivered, {} distinct, {duplicates} duplicates, \
         {warned} deliveries logged as possible repeats, \
         {tmp_left} files left in Maildir/tmp, {} bare mess files swept, {KILLS} kills, {:.1} s",
        accepted.len(),
        seen.len(),
        orphans.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        missing.is_empty(),
        "{} lost: {:?}",
        missing.len(),
        &missing[..missing.len().min(20)]
    );
    // qmail-local cleans Maildir/tmp itself; every duplicate was announced by qmail-send
    // as a possible repeat.
    assert_eq!(tmp_left, 0, "left in Maildir/tmp: {tmp_names:?}");
    assert!(
        duplicates <= warned,
        "{duplicates} duplicates, {warned} warned"
    );
    // Nothing was delivered that was not accepted.
    for t in seen.keys() {
        assert!(accepted.contains(t), "unexpected message {t:?}");
    }
    assert_eq!(accepted.len(), INJECTORS * PER_INJECTOR);

    for dir in [
        "mess", "todo", "intd", "pid", "info", "local", "remote", "bounce",
    ] {
        let left = queue_entries(&sb, dir);
        assert!(left.is_empty(), "left in queue/{dir}: {left:?}");
    }
}

/// SIGTERM: qmail-send finishes what is in flight, writes each queued entry's due time
/// into its channel file's mtime, and a new qmail-send keeps that schedule.
#[test]
fn sigterm_keeps_the_retry_schedule_across_a_restart() {
    let sb = Sandbox::new();
    sb.control("me", &["crash.example"]);
    sb.control("locals", &["crash.example"]);
    let home = mailbox(&sb, "crt");
    let p = home.join(".qmail-later");
    fs::write(&p, "|test -e ok || exit 111; cat > got\n").unwrap();
    fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let mut send = sb.start_send("./Maildir/");
    let r = sb.run_fd01(
        None,
        &["/var/qmail/bin/qmail-queue"],
        b"Subject: later\n\nx\n",
        b"Fs@crash.example\0Tcrt-later@crash.example\0\0",
    );
    assert_eq!(r.code, Some(0));
    assert!(send.wait_log("deferral:", 1, 30), "{}", send.log_text());
    send.stop();
    assert!(
        send.log_text().ends_with("status: exiting\n"),
        "{}",
        send.log_text()
    );
    let local = queue_entries(&sb, "local");
    let info = queue_entries(&sb, "info");
    assert_eq!((local.len(), info.len()), (1, 1), "{local:?} {info:?}");
    let mtime = |rel: &str| {
        fs::metadata(sb.path(format!("queue/{rel}")))
            .unwrap()
            .modified()
            .unwrap()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    // birth + (sqrt(t) + 10)^2, t the seconds from birth to the attempt: 100 s after
    // birth when t < 1 s, 121 s when t < 4 s (a loaded machine), never less.
    let due = mtime(&local[0]) as i64 - mtime(&info[0]) as i64;
    assert!((99..=144).contains(&due), "due {due}");
    // A new qmail-send does not retry before that time...
    fs::write(home.join("ok"), "").unwrap();
    let send = sb.start_send("./Maildir/");
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        !send.log_text().contains("starting delivery"),
        "{}",
        send.log_text()
    );
    // ...unless told to.
    let _ = kill(Pid::from_raw(send.pid() as i32), Signal::SIGALRM);
    assert!(send.wait_log("end msg", 1, 30), "{}", send.log_text());
    assert!(home.join("got").exists());
}

#[test]
fn a_second_qmail_send_refuses_to_start() {
    let sb = Sandbox::new();
    sb.control("me", &["crash.example"]);
    let _send = sb.start_send("./Maildir/");
    let second =
        sb.start("cd / && exec env - PATH=/var/qmail/bin:/usr/bin:/bin qmail-start ./Maildir/");
    assert!(
        second.wait_log("alert: cannot start: qmail-send is already running", 1, 20),
        "{}",
        second.log_text()
    );
}

#[test]
fn qmail_clean_removes_stale_pid_files_at_start() {
    let sb = Sandbox::new();
    sb.control("me", &["crash.example"]);
    // What a qmail-queue killed before linking its message leaves behind.
    let r = sb.sh(
        "cd /var/qmail/queue/pid && touch 1234.1.1 5678.1.1 && chown qmailq 1234.1.1 5678.1.1 \
         && touch -a -d '37 hours ago' 1234.1.1 && touch -a -d '35 hours ago' 5678.1.1",
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr_str());
    let _send = sb.start_send("./Maildir/");
    assert!(
        wait_for(10, || !sb.path("queue/pid/1234.1.1").exists()),
        "{:?}",
        sb.ls("queue/pid")
    );
    assert_eq!(sb.ls("queue/pid"), vec!["5678.1.1"]);
}

/// The tags (Subject lines) of every message in a Maildir's new/, with their counts.
fn tags(maildir: &std::path::Path, prefix: &str) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for e in fs::read_dir(maildir.join("new")).unwrap() {
        let m = fs::read_to_string(e.unwrap().path()).unwrap();
        for l in m.lines().filter_map(|l| l.strip_prefix(prefix)) {
            *seen.entry(l.to_string()).or_default() += 1;
        }
    }
    seen
}

/// Crashes while forwards and bounces are in flight: every forwarded message arrives,
/// every failed recipient is reported to the sender at least once, nothing stays queued.
#[test]
fn sigkill_with_forwards_and_bounces_in_flight() {
    let mut rng = Rng::seeded("CRASH_SEED", "crash_recovery (forwards, bounces)");
    let sb = Sandbox::new();
    sb.control("me", &["crash.example"]);
    sb.control("locals", &["crash.example"]);
    let home = mailbox(&sb, "crf");
    let snd = mailbox(&sb, "crfs");
    let p = home.join(".qmail-fwd");
    fs::write(&p, "&crf@crash.example\n").unwrap();
    fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let work = sb.scratch();
    const N: usize = 150;
    // Three kinds, interleaved: plain, forwarded, unknown (bounces to crfs).
    let script = format!(
        "cd {w} && for i in $(seq 1 {N}); do \
           case $((i % 3)) in 0) r=crf;; 1) r=crf-fwd;; 2) r=crf-nobody;; esac; \
           printf 'Subject: t%s\\n\\nx\\n' $i > m; \
           printf 'Fcrfs@crash.example\\0T%s@crash.example\\0\\0' $r > env; \
           /var/qmail/bin/qmail-queue < m 1< env && echo t$i >> accepted; \
           sleep 0.03; \
         done",
        w = work.display()
    );
    let sbr = &sb;
    let mut send = std::thread::scope(|scope| {
        let inj = scope.spawn(move || sbr.sh(&script));
        let mut send = sb.start_send("./Maildir/");
        for _ in 0..10 {
            std::thread::sleep(rng.millis(50, 700));
            send.signal(Signal::SIGKILL);
            drop(send);
            send = sb.start_send("./Maildir/");
        }
        let r = inj.join().unwrap();
        assert_eq!(r.code, Some(0), "{}", r.stderr_str());
        send
    });
    // An intd/ entry without todo/ is what a forwarding qmail-queue killed with its
    // qmail-local leaves: not work in progress but a leftover for the 36-hour sweep
    // (removed below), so it does not count as busy.
    let busy = |sb: &Sandbox| {
        ["todo", "info", "local", "remote", "bounce"]
            .iter()
            .any(|d| !queue_entries(sb, d).is_empty())
    };
    let drained = wait_for(60, || {
        let _ = kill(Pid::from_raw(send.pid() as i32), Signal::SIGALRM);
        std::thread::sleep(Duration::from_millis(200));
        !busy(&sb)
    });
    assert!(drained, "{}", send.log_text());
    send.stop();
    let accepted = fs::read_to_string(work.join("accepted")).unwrap();
    let accepted: Vec<&str> = accepted.lines().collect();
    assert_eq!(accepted.len(), N);
    let got = tags(&home.join("Maildir"), "Subject: ");
    // Bounces quote the original: its Subject line is inside the bounce.
    let bounced = tags(&snd.join("Maildir"), "Subject: t");
    let mut dup = 0;
    for t in &accepted {
        let i: usize = t[1..].parse().unwrap();
        let n = if i % 3 == 2 {
            bounced.get(&t[1..]).copied().unwrap_or(0)
        } else {
            got.get(*t).copied().unwrap_or(0)
        };
        assert!(n >= 1, "{t} not delivered (kind {})", i % 3);
        dup += n - 1;
    }
    println!("crash_recovery (forwards, bounces): {N} accepted, all delivered or bounced, {dup} duplicates");
    if !sb.mess_files().is_empty() || !queue_entries(&sb, "pid").is_empty() {
        let r = sb.sh(AGE_ORPHANS);
        assert_eq!(r.code, Some(0));
        let mut send = sb.start_send("./Maildir/");
        assert!(wait_for(30, || sb.mess_files().is_empty()
            && queue_entries(&sb, "pid").is_empty()));
        send.stop();
    }
    for dir in [
        "mess", "todo", "intd", "pid", "info", "local", "remote", "bounce",
    ] {
        let left = queue_entries(&sb, dir);
        assert!(left.is_empty(), "left in queue/{dir}: {left:?}");
    }
}

/// qmail-queue leaves mess/ and intd/ behind on a bad envelope (exit 91, no cleanup);
/// qmail-send's sweep removes them once the message file's atime is 36 hours old, and
/// not before.
#[test]
fn the_sweep_removes_old_leftovers_of_a_failed_qmail_queue() {
    let sb = Sandbox::new();
    sb.control("me", &["crash.example"]);
    for _ in 0..2 {
        let r = sb.run_fd01(
            None,
            &["/var/qmail/bin/qmail-queue"],
            b"Subject: x\n\nx\n",
            b"Xnot an envelope",
        );
        assert_eq!(r.code, Some(91));
    }
    let left = sb.mess_files();
    assert_eq!(left.len(), 2);
    assert_eq!(sb.ls("queue/intd").len(), 2);
    let old = &left[0];
    let r = sb.sh(&format!(
        "touch -a -d '37 hours ago' /var/qmail/queue/mess/{old}"
    ));
    assert_eq!(r.code, Some(0));
    let mut send = sb.start_send("./Maildir/");
    assert!(
        wait_for(10, || sb.mess_files().len() == 1),
        "{:?}",
        sb.mess_files()
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(sb.mess_files(), vec![left[1].clone()]);
    let id = old.split('/').nth(1).unwrap();
    assert!(!sb.ls("queue/intd").contains(&id.to_string()));
    assert_eq!(sb.ls("queue/intd").len(), 1);
    send.stop();
}
