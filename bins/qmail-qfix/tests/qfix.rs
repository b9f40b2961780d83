//! qmail-qfix on queues damaged one way at a time: the check finds each kind of damage
//! (exit 1, a line naming it), -r repairs it (exit 0) and a second check finds nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use qmail_core::auto;
use qmail_core::queue::Dir;
use qmail_hier::{Ids, Owner};

static N: AtomicUsize = AtomicUsize::new(0);

fn tmp() -> PathBuf {
    let n = N.fetch_add(1, Ordering::SeqCst);
    let d = std::env::temp_dir().join(format!("qmail-qfix-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    fs::set_permissions(&d, fs::Permissions::from_mode(0o755)).unwrap();
    d
}

fn qfix(args: &[&str], q: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_qmail-qfix"))
        .args(args)
        .arg(q)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

fn ids() -> Ids {
    Ids::lookup().expect("the qmail users exist (the tests run where qmail-setup ran)")
}

/// A fresh queue made by `qmail-qfix -c`, and checked clean.
fn queue() -> PathBuf {
    let q = tmp().join("queue");
    let (code, text) = qfix(&["-c"], &q);
    assert_eq!(code, 0, "{text}");
    assert_eq!(qfix(&[], &q), (0, String::new()));
    q
}

/// A message file as qmail would have made it.
fn put(q: &Path, d: Dir, id: u64, data: &[u8]) -> PathBuf {
    let p = q.join(d.path(id));
    fs::write(&p, data).unwrap();
    let (owner, mode) = match d {
        Dir::Mess | Dir::Intd | Dir::Todo => (Owner::Qmailq, 0o644),
        _ => (Owner::Qmails, 0o600),
    };
    std::os::unix::fs::chown(
        &p,
        Some(ids().uid(owner).as_raw()),
        Some(ids().qmail.as_raw()),
    )
    .unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
    p
}

/// A message in the state qmail-send leaves after preprocessing: mess, info, remote.
fn queued(q: &Path, id: u64) {
    put(q, Dir::Mess, id, b"Received: x\n\nhi\n");
    put(q, Dir::Info, id, b"Fa@b\0");
    put(q, Dir::Remote, id, b"Tc@d\0");
}

fn age(p: &Path, days: u64) {
    let t = SystemTime::now() - Duration::from_secs(days * 86400);
    fs::File::options()
        .write(true)
        .open(p)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

/// Check finds `needle`, -r fixes it, the check is then clean.
fn found_and_fixed(q: &Path, needle: &str) {
    let (code, text) = qfix(&[], q);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    let (code, text) = qfix(&["-r"], q);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(", 0 left"), "{text}");
    let (code, text) = qfix(&[], q);
    assert_eq!((code, text.as_str()), (0, ""));
}

#[test]
fn creates_a_queue_from_nothing_and_only_with_c() {
    let q = tmp().join("queue");
    let (code, text) = qfix(&["-r"], &q);
    assert_eq!(code, 111, "{text}");
    assert!(text.contains("-c creates a queue"), "{text}");
    assert!(!q.exists());
    let q = queue();
    let st = fs::symlink_metadata(q.join("lock/trigger")).unwrap();
    assert!(st.file_type().is_fifo());
    assert_eq!(st.mode() & 0o7777, 0o622);
    assert_eq!(st.uid(), ids().qmails.as_raw());
    for d in Dir::SPLIT {
        for n in 0..auto::SPLIT {
            assert!(q.join(d.subdir(n)).is_dir());
        }
    }
    assert_eq!(fs::metadata(q.join("lock/tcpto")).unwrap().len(), 1024);
    let (code, _) = qfix(&[], &tmp().join("notqueue"));
    assert_eq!(code, 111);
}

#[test]
fn a_missing_directory() {
    let q = queue();
    fs::remove_dir(q.join(Dir::Info.subdir(1))).unwrap();
    found_and_fixed(&q, "queue/info/1 does not exist");
    assert_eq!(
        fs::metadata(q.join("info/1")).unwrap().mode() & 0o7777,
        0o700
    );
}

#[test]
fn a_directory_with_the_wrong_owner_and_mode() {
    let q = queue();
    fs::set_permissions(q.join("todo"), fs::Permissions::from_mode(0o777)).unwrap();
    std::os::unix::fs::chown(q.join("todo"), Some(0), None).unwrap();
    found_and_fixed(&q, "queue/todo has wrong owner");
    let st = fs::metadata(q.join("todo")).unwrap();
    assert_eq!(
        (st.uid(), st.mode() & 0o7777),
        (ids().qmailq.as_raw(), 0o750)
    );
}

#[test]
fn a_trigger_that_is_not_a_fifo() {
    let q = queue();
    fs::remove_file(q.join("lock/trigger")).unwrap();
    fs::write(q.join("lock/trigger"), "").unwrap();
    found_and_fixed(&q, "queue/lock/trigger has wrong type");
    assert!(fs::symlink_metadata(q.join("lock/trigger"))
        .unwrap()
        .file_type()
        .is_fifo());
}

#[test]
fn a_file_in_the_wrong_subdirectory() {
    let q = queue();
    let id = 1000 * u64::from(auto::SPLIT) + 1;
    queued(&q, id);
    let wrong = q.join("info/0").join(id.to_string());
    fs::rename(q.join(Dir::Info.path(id)), &wrong).unwrap();
    found_and_fixed(&q, "is in the wrong subdirectory");
    assert!(q.join(Dir::Info.path(id)).is_file());
    assert!(!wrong.exists());
}

#[test]
fn a_new_split() {
    let q = queue();
    let ids: Vec<u64> = (1..=12).map(|i| i * 7919).collect();
    for &id in &ids {
        queued(&q, id);
    }
    let (code, text) = qfix(&["-s", "5"], &q);
    assert_eq!(code, 1, "{text}");
    let (code, text) = qfix(&["-r", "-s5"], &q);
    assert_eq!(code, 0, "{text}");
    assert_eq!(qfix(&["-s", "5"], &q), (0, String::new()));
    for &id in &ids {
        for d in [Dir::Mess, Dir::Info, Dir::Remote] {
            assert!(
                q.join(d.path_split(id, 5)).is_file(),
                "{}",
                d.path_split(id, 5)
            );
        }
    }
    if auto::SPLIT > 5 {
        assert!(!q.join("mess").join((auto::SPLIT - 1).to_string()).exists());
    }
}

#[test]
fn a_message_without_its_text() {
    let q = queue();
    let id = 4242;
    put(&q, Dir::Intd, id, b"u0\0p1\0Fa\0Tb\0");
    put(&q, Dir::Todo, id, b"u0\0p1\0Fa\0Tb\0");
    found_and_fixed(&q, &format!("message {id} has no mess file"));
    assert!(!q.join(Dir::Todo.path(id)).exists());
    assert!(!q.join(Dir::Intd.path(id)).exists());
}

#[test]
fn an_uncommitted_message_once_it_is_old() {
    let q = queue();
    let (young, old) = (5001, 5002);
    for id in [young, old] {
        put(&q, Dir::Mess, id, b"x");
        put(&q, Dir::Intd, id, b"u0\0p1\0Fa\0");
    }
    // a young one may be a qmail-queue at work: not damage
    assert_eq!(qfix(&[], &q), (0, String::new()));
    age(&q.join(Dir::Mess.path(old)), 2);
    age(&q.join(Dir::Intd.path(old)), 2);
    found_and_fixed(&q, &format!("message {old} was never committed"));
    assert!(!q.join(Dir::Mess.path(old)).exists());
    assert!(q.join(Dir::Mess.path(young)).exists());
}

#[test]
fn recipients_without_info() {
    let q = queue();
    let id = 6006;
    queued(&q, id);
    fs::remove_file(q.join(Dir::Info.path(id))).unwrap();
    found_and_fixed(&q, &format!("message {id} has recipients but no info file"));
    let info = q.join(Dir::Info.path(id));
    assert_eq!(fs::read(&info).unwrap(), b"F\0");
    let st = fs::metadata(&info).unwrap();
    assert_eq!(
        (st.uid(), st.mode() & 0o7777),
        (ids().qmails.as_raw(), 0o600)
    );
}

#[test]
fn a_stale_intd_file() {
    let q = queue();
    let id = 7007;
    queued(&q, id);
    put(&q, Dir::Intd, id, b"u0\0p1\0Fa@b\0Tc@d\0");
    found_and_fixed(&q, &format!("message {id} has a stale intd file"));
    assert!(!q.join(Dir::Intd.path(id)).exists());
    assert!(q.join(Dir::Remote.path(id)).exists());
}

#[test]
fn a_stale_pid_file() {
    let q = queue();
    let (young, old) = (q.join("pid/1.2.1"), q.join("pid/3.4.1"));
    fs::write(&young, "").unwrap();
    fs::write(&old, "").unwrap();
    age(&old, 2);
    found_and_fixed(&q, "pid/3.4.1 is stale");
    assert!(young.exists());
    assert!(!old.exists());
}

#[test]
fn message_files_with_the_wrong_owner_and_mode() {
    let q = queue();
    let id = 8008;
    queued(&q, id);
    let info = q.join(Dir::Info.path(id));
    std::os::unix::fs::chown(&info, Some(0), None).unwrap();
    fs::set_permissions(&info, fs::Permissions::from_mode(0o644)).unwrap();
    found_and_fixed(&q, "has mode 644, not 600");
    let st = fs::metadata(&info).unwrap();
    assert_eq!(
        (st.uid(), st.mode() & 0o7777),
        (ids().qmails.as_raw(), 0o600)
    );
}

#[test]
fn a_file_that_is_not_a_queue_file_is_left_to_the_admin() {
    let q = queue();
    fs::write(q.join("todo/notes.txt"), "").unwrap();
    let (code, text) = qfix(&["-r"], &q);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("not fixed: ") && text.contains("todo/notes.txt is not a queue file"));
    assert!(q.join("todo/notes.txt").exists());
}

#[test]
fn repairs_only_while_qmail_send_is_stopped() {
    let q = queue();
    fs::remove_dir(q.join(Dir::Local.subdir(0))).unwrap();
    let mutex = fs::File::options()
        .write(true)
        .open(q.join("lock/sendmutex"))
        .unwrap();
    let held = nix::fcntl::Flock::lock(mutex, nix::fcntl::FlockArg::LockExclusiveNonblock)
        .map_err(|_| ())
        .unwrap();
    let (code, text) = qfix(&["-r"], &q);
    assert_eq!(code, 111, "{text}");
    assert!(text.contains("qmail-send is running"), "{text}");
    assert!(!q.join(Dir::Local.subdir(0)).exists());
    // checking is fine while it runs
    assert_eq!(qfix(&[], &q).0, 1);
    drop(held);
    found_and_fixed(&q, "local/0 does not exist");
}

#[test]
fn usage() {
    let q = tmp().join("queue");
    for args in [&["-x"][..], &["-s", "0"], &["-s"], &["a", "b"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_qmail-qfix"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(100), "{args:?}");
    }
    assert!(!q.exists());
}
