//! qmail-upq on fake queues laid out for another split than the one compiled in.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use qmail_core::auto;
use qmail_upq::Moved;

static N: AtomicUsize = AtomicUsize::new(0);

fn tmp() -> PathBuf {
    let n = N.fetch_add(1, Ordering::SeqCst);
    let d = std::env::temp_dir().join(format!("qmail-upq-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

const DIRS: [(&str, u32); 4] = [
    ("mess", 0o750),
    ("info", 0o700),
    ("local", 0o700),
    ("remote", 0o700),
];

/// A queue split `split` ways holding messages `ids`: mess and info for each, local for
/// the even ones, remote for the odd ones, each file's content naming it.
fn queue(split: u64, ids: &[u64]) -> PathBuf {
    let q = tmp().join("queue");
    for (d, mode) in DIRS {
        for n in 0..split {
            fs::create_dir_all(q.join(d).join(n.to_string())).unwrap();
            fs::set_permissions(
                q.join(d).join(n.to_string()),
                fs::Permissions::from_mode(mode),
            )
            .unwrap();
        }
        fs::set_permissions(q.join(d), fs::Permissions::from_mode(mode)).unwrap();
    }
    fs::create_dir_all(q.join("lock")).unwrap();
    fs::write(q.join("lock/sendmutex"), "").unwrap();
    for &id in ids {
        let mut dirs = vec!["mess", "info"];
        dirs.push(if id % 2 == 0 { "local" } else { "remote" });
        for d in dirs {
            let p = q
                .join(d)
                .join((id % split).to_string())
                .join(id.to_string());
            fs::write(p, format!("{d} {id}\n")).unwrap();
        }
    }
    q
}

/// relative path → (content, inode) of every file under the split directories.
fn files(q: &Path) -> BTreeMap<String, (String, u64)> {
    let mut m = BTreeMap::new();
    for (d, _) in DIRS {
        for sub in fs::read_dir(q.join(d)).unwrap() {
            let sub = sub.unwrap();
            for f in fs::read_dir(sub.path()).unwrap() {
                let f = f.unwrap();
                let rel = format!(
                    "{d}/{}/{}",
                    sub.file_name().to_string_lossy(),
                    f.file_name().to_string_lossy()
                );
                let st = f.metadata().unwrap();
                m.insert(rel, (fs::read_to_string(f.path()).unwrap(), st.ino()));
            }
        }
    }
    m
}

fn subdirs(q: &Path, d: &str) -> Vec<u64> {
    let mut v: Vec<u64> = fs::read_dir(q.join(d))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().parse().unwrap())
        .collect();
    v.sort_unstable();
    v
}

const IDS: [u64; 8] = [1, 6, 7, 22, 23, 46, 161, 753663];

/// Where split `split` wants every file of IDS.
fn want(split: u64) -> Vec<String> {
    let mut v = Vec::new();
    for id in IDS {
        let third = if id % 2 == 0 { "local" } else { "remote" };
        for d in ["mess", "info", third] {
            v.push(format!("{d}/{}/{id}", id % split));
        }
    }
    v.sort();
    v
}

#[test]
fn seven_to_twenty_three_and_back() {
    let q = queue(7, &IDS);
    let before = files(&q);
    assert_eq!(before.keys().cloned().collect::<Vec<_>>(), want(7));
    let mut warn = Vec::new();
    let m = qmail_hier::resplit::resplit(&q, 23, "qmail-upq", &mut warn).unwrap();
    assert_eq!(String::from_utf8(warn).unwrap(), "");
    let after = files(&q);
    assert_eq!(after.keys().cloned().collect::<Vec<_>>(), want(23));
    // the same files (inode and content), only renamed
    let mut a: Vec<_> = before.values().collect();
    let mut b: Vec<_> = after.values().collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    for (rel, (text, _)) in &after {
        let (d, id) = (
            rel.split('/').next().unwrap(),
            rel.rsplit('/').next().unwrap(),
        );
        assert_eq!(text, &format!("{d} {id}\n"));
    }
    // moved: every file whose id % 7 != id % 23
    let moving = want(7).iter().zip(want(7).iter()).count().min(before.len());
    assert_eq!(moving, 24);
    let expect_moved = IDS.iter().filter(|&&id| id % 7 != id % 23).count() * 3;
    assert_eq!(
        m,
        Moved {
            files: expect_moved,
            dirs_made: 4 * 16,
            dirs_removed: 0,
            warnings: 0
        }
    );
    // new subdirectories take their parent's mode
    for (d, mode) in DIRS {
        assert_eq!(subdirs(&q, d), (0..23).collect::<Vec<_>>());
        let st = fs::metadata(q.join(d).join("22")).unwrap();
        assert_eq!(st.mode() & 0o7777, mode, "{d}/22");
    }
    // a second run has nothing to do
    let m = qmail_hier::resplit::resplit(&q, 23, "qmail-upq", &mut Vec::new()).unwrap();
    assert_eq!(m, Moved::default());

    // and back to 7: the emptied subdirectories 7..22 go away
    let m = qmail_hier::resplit::resplit(&q, 7, "qmail-upq", &mut Vec::new()).unwrap();
    assert_eq!(files(&q).keys().cloned().collect::<Vec<_>>(), want(7));
    assert_eq!(m.dirs_removed, 4 * 16);
    assert_eq!(m.files, expect_moved);
    for (d, _) in DIRS {
        assert_eq!(subdirs(&q, d), (0..7).collect::<Vec<_>>());
    }
    fs::remove_dir_all(q.parent().unwrap()).unwrap();
}

#[test]
fn strangers_and_collisions_are_left_and_reported() {
    let q = queue(5, &[12, 30]);
    fs::write(q.join("info/2/notanumber"), "x").unwrap();
    // message 30 twice in mess: once where split 5 put it, once where 23 would
    fs::create_dir_all(q.join("mess/7")).unwrap();
    fs::write(q.join("mess/7/30"), "dup").unwrap();
    // a file straight in remote/ is placed too
    fs::write(q.join("remote/101"), "loose").unwrap();
    let mut warn = Vec::new();
    let m = qmail_hier::resplit::resplit(&q, 23, "qmail-upq", &mut warn).unwrap();
    let warn = String::from_utf8(warn).unwrap();
    assert_eq!(
        warn,
        format!(
            "qmail-upq: warning: leaving {0}/mess/0/30: {0}/mess/7/30 exists\n\
             qmail-upq: warning: leaving {0}/info/2/notanumber: not a queue file name\n",
            q.display()
        )
    );
    assert_eq!(m.warnings, 2);
    assert_eq!(fs::read_to_string(q.join("remote/9/101")).unwrap(), "loose");
    assert!(!q.join("remote/101").exists());
    assert_eq!(fs::read_to_string(q.join("mess/7/30")).unwrap(), "dup");
    assert_eq!(
        fs::read_to_string(q.join("mess/0/30")).unwrap(),
        "mess 30\n"
    );
    assert_eq!(
        fs::read_to_string(q.join("info/7/30")).unwrap(),
        "info 30\n"
    );
    assert!(q.join("info/2/notanumber").exists());
    fs::remove_dir_all(q.parent().unwrap()).unwrap();
}

fn upq_bin(args: &[&Path]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_qmail-upq"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_program_uses_the_compiled_split_and_respects_the_mutex() {
    let other = if auto::SPLIT == 3 { 4 } else { 3 };
    let q = queue(other, &IDS);
    // qmail-send running: it holds the mutex
    let mutex = fs::OpenOptions::new()
        .write(true)
        .open(q.join("lock/sendmutex"))
        .unwrap();
    let held = nix::fcntl::Flock::lock(mutex, nix::fcntl::FlockArg::LockExclusiveNonblock)
        .map_err(|(_, e)| e)
        .unwrap();
    let o = upq_bin(&[&q]);
    assert_eq!(o.status.code(), Some(111));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "qmail-upq: fatal: qmail-send is running; stop qmail first\n"
    );
    assert_eq!(files(&q).keys().cloned().collect::<Vec<_>>(), {
        let mut v = Vec::new();
        for id in IDS {
            let third = if id % 2 == 0 { "local" } else { "remote" };
            for d in ["mess", "info", third] {
                v.push(format!("{d}/{}/{id}", id % other));
            }
        }
        v.sort();
        v
    });
    drop(held);
    let o = upq_bin(&[&q]);
    assert_eq!(
        (o.status.code(), o.stdout.as_slice(), o.stderr.as_slice()),
        (Some(0), &b""[..], &b""[..])
    );
    let split = u64::from(auto::SPLIT);
    assert_eq!(files(&q).keys().cloned().collect::<Vec<_>>(), want(split));
    for id in IDS {
        assert!(q.join(qmail_core::queue::Dir::Mess.path(id)).is_file());
    }
    // a stranger makes it fail after doing the rest
    fs::write(q.join("info/0/junk"), "").unwrap();
    let o = upq_bin(&[&q]);
    assert_eq!(o.status.code(), Some(111));
    assert!(String::from_utf8_lossy(&o.stderr)
        .ends_with("qmail-upq: fatal: 1 files could not be moved, see above\n"));
    fs::remove_dir_all(q.parent().unwrap()).unwrap();

    let o = upq_bin(&[Path::new("a"), Path::new("b")]);
    assert_eq!(o.status.code(), Some(100));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "qmail-upq: usage: qmail-upq [ queuedir ]\n"
    );
    let o = upq_bin(&[Path::new("/nonexistent/queue")]);
    assert_eq!(o.status.code(), Some(111));
}
