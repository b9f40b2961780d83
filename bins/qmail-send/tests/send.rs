//! Black-box tests of qmail-send: the real binary in a private mount namespace with a
//! temporary qmail home, the test playing qmail-lspawn, qmail-rspawn and qmail-clean on
//! FIFOs that stand in for qmail-start's pipes, and a script standing in for qmail-queue.
#![allow(clippy::indexing_slicing)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::{Child, Output};
use std::time::{Duration, Instant};

use qmail_e2e::{FakeQueue, Home};

const BIN: &str = env!("CARGO_BIN_EXE_qmail-send");
const SPLIT: u64 = 23;

/// A queue with every directory, the lock files, control/me and locals, and the FIFOs
/// that stand in for qmail-start's pipes (in fifo/).
fn home(tag: &str) -> Home {
    let h = Home::new(&format!("qmail-send-{tag}"));
    for d in ["pid", "intd", "todo", "bounce", "lock"] {
        h.mkdir(format!("queue/{d}"));
    }
    for d in ["mess", "info", "local", "remote"] {
        for n in 0..SPLIT {
            h.mkdir(format!("queue/{d}/{n}"));
        }
    }
    h.mkdir("fifo");
    h.write("queue/lock/sendmutex", "");
    nix::unistd::mkfifo(
        &h.q("lock/trigger"),
        nix::sys::stat::Mode::from_bits_truncate(0o622),
    )
    .unwrap();
    for f in ["lcmd", "lrep", "rcmd", "rrep", "ccmd", "crep"] {
        nix::unistd::mkfifo(
            &h.join("fifo").join(f),
            nix::sys::stat::Mode::from_bits_truncate(0o600),
        )
        .unwrap();
    }
    h.ctl("me", "cmp.example");
    h.ctl("locals", "cmp.example");
    // qmail-send starts bin/qmail-todo: the one built beside it (make test builds all).
    let todo = std::path::Path::new(BIN).with_file_name("qmail-todo");
    assert!(
        todo.exists(),
        "{} missing: cargo build -p qmail-todo first",
        todo.display()
    );
    h.mkdir("bin");
    std::fs::copy(&todo, h.join("bin/qmail-todo")).unwrap();
    h
}

/// What the tests do with a qmail-send home.
trait SendHome {
    fn ctl(&self, name: &str, v: &str);
    fn q(&self, p: &str) -> PathBuf;
    fn queue(&self, mess: &[u8], env: &[u8]) -> u64;
    fn log(&self) -> String;
}

impl SendHome for Home {
    /// control/`name` with the one line `v`.
    fn ctl(&self, name: &str, v: &str) {
        self.control(name, &format!("{v}\n"));
    }

    fn q(&self, p: &str) -> PathBuf {
        self.join("queue").join(p)
    }

    /// Queue a message the way qmail-queue does; returns its id (the mess inode).
    fn queue(&self, mess: &[u8], env: &[u8]) -> u64 {
        let tmp = self.q("pid/tmp");
        std::fs::write(&tmp, mess).unwrap();
        let id = std::fs::metadata(&tmp).unwrap().ino();
        std::fs::rename(&tmp, self.q(&format!("mess/{}/{id}", id % SPLIT))).unwrap();
        let mut todo = b"u0\0p4711\0".to_vec();
        todo.extend_from_slice(env);
        std::fs::write(self.q(&format!("intd/{id}")), &todo).unwrap();
        std::fs::hard_link(self.q(&format!("intd/{id}")), self.q(&format!("todo/{id}"))).unwrap();
        id
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.join("send.log")).unwrap_or_default()
    }
}

/// Pull the trigger, the way qmail-queue does after queueing a message.
fn trigger(h: &Home) {
    OpenOptions::new()
        .write(true)
        .open(h.q("lock/trigger"))
        .unwrap()
        .write_all(b"\0")
        .unwrap();
}

/// qmail-send with its log (fd 0) on stdout and nothing else: for runs that end at once.
fn send_alone(h: &Home) -> Output {
    h.command("/bin/sh")
        .args(["-c", &format!("exec '{BIN}' 0>&1")])
        .output()
        .unwrap()
}

/// The running qmail-send and the test's ends of its pipes.
struct Send {
    child: Child,
    lcmd: File,
    lrep: File,
    rcmd: File,
    rrep: File,
    clean: std::thread::JoinHandle<Vec<String>>,
}

fn start(h: &Home, limits: [u8; 2], env: &[(&str, &str)]) -> Send {
    let f = |n: &str| h.join("fifo").join(n).display().to_string();
    let script = format!(
        "exec '{BIN}' 0>'{}' 1<>'{}' 2<>'{}' 3<>'{}' 4<>'{}' 5<>'{}' 6<>'{}'",
        h.join("send.log").display(),
        f("lcmd"),
        f("lrep"),
        f("rcmd"),
        f("rrep"),
        f("ccmd"),
        f("crep")
    );
    let mut cmd = h.command("/bin/sh");
    cmd.args(["-c", &script]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap();
    let open_r = |n: &str| File::open(h.join("fifo").join(n)).unwrap();
    let open_w = |n: &str| {
        OpenOptions::new()
            .write(true)
            .open(h.join("fifo").join(n))
            .unwrap()
    };
    let lcmd = open_r("lcmd");
    let mut lrep = open_w("lrep");
    let rcmd = open_r("rcmd");
    let mut rrep = open_w("rrep");
    let mut ccmd = open_r("ccmd");
    let mut crep = open_w("crep");
    lrep.write_all(&[limits[0]]).unwrap();
    rrep.write_all(&[limits[1]]).unwrap();
    let queue = h.join("queue");
    // qmail-clean: carry out each request and answer `+`.
    let clean = std::thread::spawn(move || {
        let mut seen = Vec::new();
        loop {
            let req = read_until_nul(&mut ccmd);
            if req.is_empty() {
                return seen;
            }
            let r = String::from_utf8_lossy(&req[..req.len() - 1]).into_owned();
            let id: u64 = r[5..].parse().unwrap();
            let second = if r.starts_with("foop/") {
                format!("mess/{}/{id}", id % SPLIT)
            } else {
                r.clone()
            };
            let _ = std::fs::remove_file(queue.join(format!("intd/{id}")));
            let _ = std::fs::remove_file(queue.join(second));
            seen.push(r);
            if crep.write_all(b"+").is_err() {
                return seen;
            }
        }
    });
    Send {
        child,
        lcmd,
        lrep,
        rcmd,
        rrep,
        clean,
    }
}

fn read_until_nul(f: &mut File) -> Vec<u8> {
    let mut v = Vec::new();
    let mut b = [0u8; 1];
    while let Ok(1) = f.read(&mut b) {
        v.push(b[0]);
        if b[0] == 0 {
            break;
        }
    }
    v
}

/// One spawn command: (delnum, messid, sender, recip).
fn command(f: &mut File) -> (u8, String, String, String) {
    let mut d = [0u8; 1];
    f.read_exact(&mut d).unwrap();
    let s = |v: Vec<u8>| String::from_utf8_lossy(&v[..v.len().saturating_sub(1)]).into_owned();
    (
        d[0],
        s(read_until_nul(f)),
        s(read_until_nul(f)),
        s(read_until_nul(f)),
    )
}

fn wait_log(h: &Home, pat: &str) {
    let t = Instant::now();
    while !h.log().contains(pat) {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "no {pat:?} in log:\n{}",
            h.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stop(mut s: Send) -> (i32, Vec<String>) {
    let pid = s.child.id();
    // The sh has exec'd unshare, which exec'd sh, which exec'd qmail-send: same pid.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let code = s.child.wait().unwrap().code().unwrap_or(-1);
    drop(s.lcmd);
    drop(s.lrep);
    drop(s.rcmd);
    drop(s.rrep);
    (code, s.clean.join().unwrap())
}

fn without_status(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| !l.starts_with("status: local"))
        .collect()
}

#[test]
fn status_lines_and_concurrency_caps() {
    let h = home("status");
    h.ctl("concurrencylocal", "5");
    let s = start(&h, [2, 120], &[]);
    wait_log(&h, "status: local");
    let (code, _) = stop(s);
    assert_eq!(code, 0);
    assert_eq!(h.log(), "status: local 0/2 remote 0/20\nstatus: exiting\n");
}

#[test]
fn local_and_remote_delivery() {
    let h = home("deliver");
    h.ctl("virtualdomains", "virt.example:v");
    let id = h.queue(
        b"Subject: x\n\nbody\n",
        b"Fs@x.example\0Tu@cmp.example\0Tr@far.example\0Tw@virt.example\0Tnoat\0",
    );
    let mut s = start(&h, [120, 120], &[]);
    let n = id % SPLIT;
    let mut local = Vec::new();
    for _ in 0..3 {
        local.push(command(&mut s.lcmd));
    }
    let remote = command(&mut s.rcmd);
    let messid = format!("{n}/{id}");
    assert_eq!(
        remote,
        (
            0,
            messid.clone(),
            "s@x.example".into(),
            "r@far.example".into()
        )
    );
    let recips: Vec<&str> = local.iter().map(|c| c.3.as_str()).collect();
    assert_eq!(
        recips,
        ["u@cmp.example", "v-w@virt.example", "noat@cmp.example"]
    );
    assert_eq!(local.iter().map(|c| c.0).collect::<Vec<_>>(), [0, 1, 2]);
    assert!(local.iter().all(|c| c.1 == messid && c.2 == "s@x.example"));
    let lfile = h.q(&format!("local/{n}/{id}"));
    assert_eq!(
        std::fs::read(&lfile).unwrap(),
        b"Tu@cmp.example\0Tv-w@virt.example\0Tnoat@cmp.example\0"
    );
    // A deferral for one local recipient keeps the local file; the others are marked D.
    s.lrep
        .write_all(b"\x01Zlater\0\x00Kdid 1+0+0\n\0\x02Kok\0")
        .unwrap();
    s.rrep.write_all(b"\x00Kaccepted\0").unwrap();
    wait_log(&h, "delivery 4: success");
    wait_log(&h, "success: ok");
    let t = Instant::now();
    while h.q(&format!("remote/{n}/{id}")).exists() {
        assert!(t.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        std::fs::read(&lfile).unwrap(),
        b"Du@cmp.example\0Tv-w@virt.example\0Dnoat@cmp.example\0"
    );
    let (code, cleaned) = stop(s);
    assert_eq!(code, 0);
    assert_eq!(cleaned, [format!("todo/{id}")]);
    let log = h.log();
    let lines = without_status(&log);
    assert_eq!(lines[0], format!("new msg {id}"));
    assert_eq!(
        lines[1],
        format!("info msg {id}: bytes 17 from <s@x.example> qp 4711 uid 0")
    );
    for want in [
        format!("starting delivery 1: msg {id} to local u@cmp.example"),
        format!("starting delivery 2: msg {id} to remote r@far.example"),
        format!("starting delivery 3: msg {id} to local v-w@virt.example"),
        format!("starting delivery 4: msg {id} to local noat@cmp.example"),
        "delivery 3: deferral: later".to_string(),
        "delivery 1: success: did_1+0+0/".to_string(),
        "delivery 4: success: ok".to_string(),
        "delivery 2: success: accepted".to_string(),
    ] {
        assert!(lines.contains(&want.as_str()), "{want:?} not in\n{log}");
    }
    assert_eq!(lines.last(), Some(&"status: exiting"));
    // The schedule survives the restart: the local file's mtime is the next retry.
    let m = std::fs::metadata(&lfile).unwrap().mtime();
    let birth = std::fs::metadata(h.q(&format!("info/{n}/{id}")))
        .unwrap()
        .mtime();
    assert!(
        m >= birth + 100 && m <= birth + 500,
        "mtime {m} birth {birth}"
    );
    assert!(h.q(&format!("mess/{n}/{id}")).exists());
}

#[test]
fn failure_bounces_through_qmail_queue() {
    let h = home("bounce");
    h.ctl("bouncefrom", "Mailer Daemon");
    // A stand-in for qmail-queue: keeps the message and the envelope.
    let qq = FakeQueue::once(0);
    let id = h.queue(
        b"Subject: x\n\nbody\n",
        b"Fpre@host.example-@[]\0Tu@cmp.example\0Tv@cmp.example\0",
    );
    let fakes = qq.program().display().to_string();
    let mut s = start(&h, [120, 120], &[("QMAILQUEUE", fakes.as_str())]);
    let c1 = command(&mut s.lcmd);
    let c2 = command(&mut s.lcmd);
    // VERP: the sender is expanded per recipient.
    assert_eq!(c1.2, "preu=cmp.example@host.example");
    assert_eq!(c2.2, "prev=cmp.example@host.example");
    s.lrep
        .write_all(b"\x00DSorry, no mailbox here by that name. (#5.1.1)\n\0")
        .unwrap();
    s.lrep.write_all(b"\x01Dtwo\n\nlines\0").unwrap();
    wait_log(&h, &format!("end msg {id}"));
    let (code, cleaned) = stop(s);
    assert_eq!(code, 0);
    assert_eq!(cleaned, [format!("todo/{id}"), format!("foop/{id}")]);
    let log = h.log();
    assert!(log.contains(&format!("bounce msg {id} qp ")), "{log}");
    assert!(log.contains("delivery 2: failure: two//lines\n"), "{log}");
    let msg = String::from_utf8(qq.read("mess")).unwrap();
    let (date, rest) = msg.split_once('\n').unwrap();
    assert!(
        date.starts_with("Date: ") && date.ends_with(" -0000"),
        "{date}"
    );
    assert_eq!(
        rest,
        "From: \"Mailer Daemon\"@cmp.example\n\
To: pre@host.example\n\
Subject: failure notice\n\
\n\
Hi. This is the qmail-send program at cmp.example.\n\
I'm afraid I wasn't able to deliver your message to the following addresses.\n\
This is a permanent error; I've given up. Sorry it didn't work out.\n\
\n\
<u@cmp.example>:\n\
Sorry, no mailbox here by that name. (#5.1.1)\n\
\n\
<v@cmp.example>:\n\
two\n\
/lines\n\
\n\
--- Below this line is a copy of the message.\n\
\n\
Return-Path: <pre@host.example>\n\
Subject: x\n\
\n\
body\n"
    );
    assert_eq!(qq.read("env"), b"F\0Tpre@host.example\0\0");
    for p in [
        format!("info/{}/{id}", id % SPLIT),
        format!("local/{}/{id}", id % SPLIT),
        format!("bounce/{id}"),
    ] {
        assert!(!h.q(&p).exists(), "{p} left");
    }
}

#[test]
fn second_instance_refuses_to_start() {
    let h = home("mutex");
    let s = start(&h, [120, 120], &[]);
    wait_log(&h, "status: local");
    let out = send_alone(&h);
    assert_eq!(out.status.code(), Some(111));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "alert: cannot start: qmail-send is already running\n"
    );
    let (code, _) = stop(s);
    assert_eq!(code, 0);
}

#[test]
fn no_controls_no_start() {
    let h = home("noctl");
    std::fs::remove_file(h.join("control/me")).unwrap();
    std::fs::remove_file(h.join("control/locals")).unwrap();
    let out = send_alone(&h);
    assert_eq!(out.status.code(), Some(111));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "alert: cannot start: unable to read controls\n"
    );
}

fn signal(s: &Send, sig: nix::sys::signal::Signal) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(s.child.id() as i32), sig).unwrap();
}

#[test]
fn trigger_alarm_and_queuelifetime() {
    let h = home("lifetime");
    h.ctl("queuelifetime", "1");
    let qq = FakeQueue::once(0);
    let fake = qq.program().display().to_string();
    let mut s = start(&h, [120, 120], &[("QMAILQUEUE", fake.as_str())]);
    wait_log(&h, "status: local");
    std::thread::sleep(Duration::from_millis(300));
    // Queued after the start-up scan: only the trigger makes qmail-send look.
    let id = h.queue(b"x\n", b"Fs@x.example\0Tu@cmp.example\0");
    trigger(&h);
    let c = command(&mut s.lcmd);
    assert_eq!(c.3, "u@cmp.example");
    s.lrep.write_all(b"\x00Zlater\0").unwrap();
    wait_log(&h, "delivery 1: deferral: later");
    // The next try is 100 s away; ALRM makes it now, and the message is past its lifetime.
    std::thread::sleep(Duration::from_millis(2100));
    signal(&s, nix::sys::signal::Signal::SIGALRM);
    let c = command(&mut s.lcmd);
    assert_eq!(c.3, "u@cmp.example");
    s.lrep.write_all(b"\x00Zstill later\n\0").unwrap();
    wait_log(&h, &format!("end msg {id}"));
    let (code, _) = stop(s);
    assert_eq!(code, 0);
    assert!(h.log().contains(
        "delivery 2: failure: still_later/I'm_not_going_to_try_again;_this_message_has_been_in_the_queue_too_long./\n"
    ));
    let msg = String::from_utf8(qq.read("mess")).unwrap();
    assert!(msg.contains(
        "<u@cmp.example>:\nstill later\nI'm not going to try again; this message has been in the queue too long.\n\n--- Below"
    ));
}

#[test]
fn restart_resumes_the_queue_and_hup_rereads_locals() {
    let h = home("restart");
    // A preprocessed message (state S5) whose local retry time lies in the future.
    let id = h.queue(b"x\n", b"");
    std::fs::remove_file(h.q(&format!("todo/{id}"))).unwrap();
    std::fs::remove_file(h.q(&format!("intd/{id}"))).unwrap();
    let n = id % SPLIT;
    std::fs::write(h.q(&format!("info/{n}/{id}")), b"Fs@x.example\0").unwrap();
    let lfile = h.q(&format!("local/{n}/{id}"));
    std::fs::write(&lfile, b"Dgone@cmp.example\0Tu@cmp.example\0").unwrap();
    let later = nix::sys::time::TimeSpec::new(qmail_core::date822::now() + 3600, 0);
    nix::sys::stat::utimensat(
        None,
        &lfile,
        &later,
        &later,
        nix::sys::stat::UtimensatFlags::FollowSymlink,
    )
    .unwrap();
    let mut s = start(&h, [120, 120], &[]);
    wait_log(&h, "status: local");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !h.log().contains("starting delivery"),
        "not due yet:\n{}",
        h.log()
    );
    signal(&s, nix::sys::signal::Signal::SIGALRM);
    let c = command(&mut s.lcmd);
    assert_eq!(
        c,
        (
            0,
            format!("{n}/{id}"),
            "s@x.example".into(),
            "u@cmp.example".into()
        )
    );
    s.lrep.write_all(b"\x00Kok\0").unwrap();
    wait_log(&h, &format!("end msg {id}"));
    // HUP: a domain added to locals is local from now on.
    let id2 = h.queue(b"y\n", b"F\0Ta@late.example\0");
    h.ctl("locals", "cmp.example\nlate.example");
    signal(&s, nix::sys::signal::Signal::SIGHUP);
    std::thread::sleep(Duration::from_millis(300));
    trigger(&h);
    let c = command(&mut s.lcmd);
    assert_eq!(c.3, "a@late.example");
    s.lrep.write_all(b"\x00Kok\0").unwrap();
    wait_log(&h, &format!("end msg {id2}"));
    let (code, cleaned) = stop(s);
    assert_eq!(code, 0);
    assert_eq!(
        cleaned,
        [
            format!("foop/{id}"),
            format!("todo/{id2}"),
            format!("foop/{id2}")
        ]
    );
}

/// qmail-todo's pid: the one child of qmail-send.
fn todo_pid(s: &Send) -> i32 {
    let pid = s.child.id();
    let t = Instant::now();
    loop {
        let kids =
            std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        if let Some(k) = kids.split_whitespace().next() {
            return k.parse().unwrap();
        }
        assert!(t.elapsed() < Duration::from_secs(10), "no qmail-todo");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn todo_runs_apart_and_its_loss_stops_qmail_send() {
    let h = home("todolost");
    let mut s = start(&h, [120, 120], &[]);
    wait_log(&h, "status: local");
    let todo = todo_pid(&s);
    let exe = std::fs::read_link(format!("/proc/{todo}/exe")).unwrap();
    assert!(exe.ends_with("bin/qmail-todo"), "{}", exe.display());
    let id = h.queue(b"x\n", b"Fs@x.example\0Tu@cmp.example\0");
    trigger(&h);
    assert_eq!(command(&mut s.lcmd).3, "u@cmp.example");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(todo),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    wait_log(&h, "alert: oh no! lost qmail-todo connection! dying...");
    // qmail-send waits for the delivery under way, then exits.
    s.lrep.write_all(b"\x00Kok\0").unwrap();
    let code = s.child.wait().unwrap().code();
    assert_eq!(code, Some(0));
    assert!(h.log().contains(&format!("end msg {id}")), "{}", h.log());
}

#[test]
fn a_message_preprocessed_before_a_crash_is_done_again_once() {
    let h = home("redo");
    // qmail-todo wrote info and local, then everything died before todo/ was removed.
    let id = h.queue(b"x\n", b"Fs@x.example\0Tu@cmp.example\0");
    let n = id % SPLIT;
    std::fs::write(h.q(&format!("info/{n}/{id}")), b"Fs@x.example\0").unwrap();
    std::fs::write(h.q(&format!("local/{n}/{id}")), b"Tu@cmp.example\0").unwrap();
    let mut s = start(&h, [120, 120], &[]);
    assert_eq!(command(&mut s.lcmd).3, "u@cmp.example");
    s.lrep.write_all(b"\x00Kok\0").unwrap();
    wait_log(&h, &format!("end msg {id}"));
    std::thread::sleep(Duration::from_millis(300));
    let (code, cleaned) = stop(s);
    assert_eq!(code, 0);
    assert_eq!(cleaned, [format!("todo/{id}"), format!("foop/{id}")]);
    let log = h.log();
    assert_eq!(log.matches("starting delivery").count(), 1, "{log}");
    assert_eq!(log.matches(&format!("new msg {id}\n")).count(), 1, "{log}");
}
