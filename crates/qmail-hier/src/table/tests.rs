//! Tests for the table: every entry of the installed tree, with their owners and modes.

use super::*;
use crate::Kind;
use std::collections::HashSet;

fn find(path: &str) -> Entry {
    hier()
        .into_iter()
        .find(|e| e.path() == path)
        .unwrap_or_else(|| panic!("{path} not in the table"))
}

#[test]
fn every_split_dir_is_listed() {
    let paths: HashSet<String> = hier().iter().map(Entry::path).collect();
    for d in ["mess", "info", "local", "remote"] {
        assert!(paths.contains(&format!("queue/{d}")));
        for n in 0..auto::SPLIT {
            assert!(paths.contains(&format!("queue/{d}/{n}")), "queue/{d}/{n}");
        }
        assert!(!paths.contains(&format!("queue/{d}/{}", auto::SPLIT)));
    }
    let splits = hier()
        .iter()
        .filter(|e| {
            let p = e.path();
            p.starts_with("queue/") && p.matches('/').count() == 2 && !p.starts_with("queue/lock/")
        })
        .count();
    assert_eq!(splits, 4 * usize::try_from(auto::SPLIT).unwrap());
}

#[test]
fn qmail_queue_is_the_only_setuid_or_setgid_file() {
    let special: Vec<String> = hier()
        .iter()
        .filter(|e| e.kind() != Kind::Dir && e.mode() & 0o6000 != 0)
        .map(Entry::path)
        .collect();
    assert_eq!(special, vec!["bin/qmail-queue".to_string()]);
    assert_eq!(find("bin/qmail-queue").mode(), 0o4711);
    assert_eq!(find("bin/qmail-queue").owner(), Owner::Qmailq);
    // the only setgid directory
    let sgid: Vec<String> = hier()
        .iter()
        .filter(|e| e.kind() == Kind::Dir && e.mode() & 0o6000 != 0)
        .map(Entry::path)
        .collect();
    assert_eq!(sgid, vec!["alias".to_string()]);
}

#[test]
fn modes_per_spec() {
    let want: &[(&str, Owner, u32, Kind)] = &[
        ("", Owner::Root, 0o755, Kind::Dir),
        ("alias", Owner::Alias, 0o2755, Kind::Dir),
        ("queue", Owner::Qmailq, 0o750, Kind::Dir),
        ("queue/pid", Owner::Qmailq, 0o700, Kind::Dir),
        ("queue/intd", Owner::Qmailq, 0o700, Kind::Dir),
        ("queue/todo", Owner::Qmailq, 0o750, Kind::Dir),
        ("queue/bounce", Owner::Qmails, 0o700, Kind::Dir),
        ("queue/mess/0", Owner::Qmailq, 0o750, Kind::Dir),
        ("queue/info/22", Owner::Qmails, 0o700, Kind::Dir),
        ("queue/local/3", Owner::Qmails, 0o700, Kind::Dir),
        ("queue/remote/7", Owner::Qmails, 0o700, Kind::Dir),
        ("queue/lock", Owner::Qmailq, 0o750, Kind::Dir),
        ("queue/lock/tcpto", Owner::Qmailr, 0o644, Kind::File),
        ("queue/lock/sendmutex", Owner::Qmails, 0o600, Kind::File),
        ("queue/lock/trigger", Owner::Qmails, 0o622, Kind::Fifo),
        ("man/cat8", Owner::Root, 0o755, Kind::Dir),
        ("bin/qmail-lspawn", Owner::Root, 0o700, Kind::File),
        ("bin/qmail-start", Owner::Root, 0o700, Kind::File),
        ("bin/qmail-send", Owner::Root, 0o711, Kind::File),
        ("bin/qmail-getpw", Owner::Root, 0o711, Kind::File),
        ("bin/qmail-inject", Owner::Root, 0o755, Kind::File),
        ("bin/qmail-qstat", Owner::Root, 0o755, Kind::File),
        ("bin/maildir2mbox", Owner::Root, 0o755, Kind::File),
        ("bin/maildirwatch", Owner::Root, 0o755, Kind::File),
        ("bin/qmail-upq", Owner::Root, 0o700, Kind::File),
        ("boot/systemd", Owner::Root, 0o755, Kind::Dir),
        ("boot/home+df", Owner::Root, 0o755, Kind::File),
        ("boot/binm3", Owner::Root, 0o755, Kind::File),
        ("boot/qmail-smtpd-run", Owner::Root, 0o755, Kind::File),
        (
            "boot/systemd/qmail-send.service",
            Owner::Root,
            0o644,
            Kind::File,
        ),
        (
            "boot/daemontools/qmail-smtpd/log/run",
            Owner::Root,
            0o755,
            Kind::File,
        ),
    ];
    for &(path, owner, mode, kind) in want {
        let e = find(path);
        assert_eq!(
            (e.owner(), e.mode(), e.kind()),
            (owner, mode, kind),
            "{path}"
        );
    }
    assert_eq!(
        hier().iter().find_map(|e| match e {
            Entry::Zero {
                path: "queue/lock/tcpto",
                len,
                ..
            } => Some(*len),
            _ => None,
        }),
        Some(1024)
    );
}

/// The table and the source tree's boot/ agree: every file there but the two
/// development tools is installed, and every boot entry has its source.
#[test]
fn boot_files_match_the_source_tree() {
    let top = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut found = Vec::new();
    let mut todo = vec![top.join("boot")];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let rel = p.strip_prefix(&top).unwrap().to_string_lossy().into_owned();
                // Development tools and the Debian package's sources (make deb) are
                // not installed.
                if rel != "boot/check.sh"
                    && rel != "boot/run-foreground"
                    && !rel.starts_with("boot/debian/")
                {
                    found.push(rel);
                }
            }
        }
    }
    found.sort();
    let mut want: Vec<String> = BOOT.iter().map(|(p, _)| (*p).to_string()).collect();
    want.sort();
    assert_eq!(found, want);
    for &(p, mode) in BOOT {
        assert_eq!(
            mode,
            if p.starts_with("boot/systemd/") {
                0o644
            } else {
                0o755
            },
            "{p}"
        );
    }
}

#[test]
fn every_path_once_and_parents_first() {
    let mut seen = HashSet::new();
    for e in hier() {
        let p = e.path();
        if let Some((parent, _)) = p.rsplit_once('/') {
            assert!(seen.contains(parent), "{p} before its parent");
        } else if !p.is_empty() {
            assert!(seen.contains(""), "{p} before the home");
        }
        assert!(seen.insert(p.clone()), "{p} twice");
    }
    assert_eq!(PROGRAMS.len(), 53);
}
