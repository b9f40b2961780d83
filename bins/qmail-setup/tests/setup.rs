//! qmail-setup and the Check interpreter against a real tree, as root with the real qmail
//! users (setup creates them when missing).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::type_complexity)]
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use qmail_hier::Ids;
use qmail_install::setup::{setup, Options};

static N: AtomicUsize = AtomicUsize::new(0);

fn tmp(tag: &str) -> PathBuf {
    let n = N.fetch_add(1, Ordering::SeqCst);
    let d = std::env::temp_dir().join(format!("qmail-setup-{tag}-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

/// A build directory with three "programs" and a source tree with two man pages.
fn sources() -> (PathBuf, PathBuf) {
    let bin = tmp("bin");
    for p in ["qmail-queue", "qmail-send", "instcheck"] {
        fs::write(bin.join(p), format!("#!/bin/sh\necho {p}\n")).unwrap();
    }
    let src = tmp("src");
    fs::create_dir_all(src.join("man/man5")).unwrap();
    fs::write(
        src.join("man/qmail-send.8"),
        ".TH qmail-send 8\n@QMAILHOME@/queue\n",
    )
    .unwrap();
    fs::write(src.join("man/man5/dot-qmail.5"), ".TH dot-qmail 5\n").unwrap();
    fs::write(src.join("man/README"), "not a page\n").unwrap();
    (bin, src)
}

/// path → (type, uid, gid, mode, size, inode, mtime) of everything under `root`.
fn listing(root: &Path) -> BTreeMap<PathBuf, (String, u32, u32, u32, u64, u64, i64, i64)> {
    let mut m = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(p) = todo.pop() {
        let st = fs::symlink_metadata(&p).unwrap();
        let t = st.file_type();
        if t.is_dir() {
            for d in fs::read_dir(&p).unwrap() {
                todo.push(d.unwrap().path());
            }
        }
        let kind = if t.is_dir() {
            "d"
        } else if t.is_fifo() {
            "p"
        } else if t.is_file() {
            "f"
        } else {
            "?"
        };
        m.insert(
            p,
            (
                kind.to_string(),
                st.uid(),
                st.gid(),
                st.mode() & 0o7777,
                st.len(),
                st.ino(),
                st.mtime(),
                st.mtime_nsec(),
            ),
        );
    }
    m
}

fn warnings(root: &Path, ids: Option<Ids>) -> Vec<String> {
    let mut out = Vec::new();
    qmail_install::setup::check(root, ids, &mut out).unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn run_setup(opts: &Options) -> (usize, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let n = setup(opts, &mut out, &mut err).unwrap();
    (n, String::from_utf8(err).unwrap())
}

#[test]
fn install_check_damage_repair() {
    let (bin, src) = sources();
    let root = tmp("root").join("var/qmail");
    let opts = Options {
        root: root.clone(),
        bindir: bin.clone(),
        srcdir: Some(src.clone()),
        packaging: false,
        postmaster: None,
    };
    let (n, err) = run_setup(&opts);
    assert_eq!((n, err.as_str()), (0, ""));
    let ids = Ids::lookup().expect("setup created the users");
    assert!(warnings(&root, Some(ids)).is_empty());

    // the tree, exactly
    let st = fs::metadata(root.join("bin/qmail-queue")).unwrap();
    assert_eq!(
        (st.uid(), st.gid(), st.mode() & 0o7777),
        (ids.qmailq.as_raw(), ids.qmail.as_raw(), 0o4711)
    );
    let st = fs::symlink_metadata(root.join("queue/lock/trigger")).unwrap();
    assert!(st.file_type().is_fifo());
    assert_eq!((st.uid(), st.mode() & 0o7777), (ids.qmails.as_raw(), 0o622));
    assert_eq!(
        fs::read(root.join("queue/lock/tcpto")).unwrap(),
        vec![0u8; 1024]
    );
    assert_eq!(
        fs::metadata(root.join("queue/lock/tcpto")).unwrap().uid(),
        ids.qmailr.as_raw()
    );
    assert_eq!(
        fs::metadata(root.join("alias")).unwrap().mode() & 0o7777,
        0o2755
    );
    assert_eq!(
        fs::read_to_string(root.join("man/man8/qmail-send.8")).unwrap(),
        format!(".TH qmail-send 8\n{}/queue\n", qmail_core::auto::QMAIL)
    );
    assert!(root.join("man/man5/dot-qmail.5").is_file());
    assert!(!root.join("bin/qmail-smtpd").exists());
    assert_eq!(
        fs::read_to_string(root.join("doc/INSTALLED")).unwrap(),
        "bin/instcheck\nbin/qmail-queue\nbin/qmail-send\ndoc/INSTALLED\nman/man5/dot-qmail.5\nman/man8/qmail-send.8\n"
    );
    let me = fs::read_to_string(root.join("control/me")).unwrap();
    assert!(!me.trim().is_empty());
    let locals = fs::read_to_string(root.join("control/locals")).unwrap();
    assert!(locals.lines().any(|l| l == me.trim()), "{locals}");
    assert!(locals.lines().any(|l| l == "localhost"), "{locals}");

    // a second run changes nothing, and keeps the queue's state
    fs::write(root.join("queue/lock/tcpto"), vec![7u8; 1024]).unwrap();
    let before = listing(&root);
    let (n, err) = run_setup(&opts);
    assert_eq!((n, err.as_str()), (0, ""));
    assert_eq!(listing(&root), before);
    assert_eq!(
        fs::read(root.join("queue/lock/tcpto")).unwrap(),
        vec![7u8; 1024]
    );

    // each damage is reported, and a new setup repairs it
    let damages: Vec<(&str, Box<dyn Fn()>, String)> = vec![
        (
            "chmod",
            Box::new(|| {
                fs::set_permissions(
                    root.join("bin/qmail-queue"),
                    fs::Permissions::from_mode(0o755),
                )
                .unwrap()
            }),
            format!("{}/bin/qmail-queue has wrong permissions", root.display()),
        ),
        (
            "chown",
            Box::new(|| {
                std::os::unix::fs::chown(root.join("queue/lock/tcpto"), Some(0), None).unwrap()
            }),
            format!("{}/queue/lock/tcpto has wrong owner", root.display()),
        ),
        (
            "chgrp",
            Box::new(|| {
                std::os::unix::fs::chown(root.join("queue/mess/5"), None, Some(0)).unwrap()
            }),
            format!("{}/queue/mess/5 has wrong group", root.display()),
        ),
        (
            "rm program",
            Box::new(|| fs::remove_file(root.join("bin/qmail-send")).unwrap()),
            format!("{}/bin/qmail-send does not exist", root.display()),
        ),
        (
            "rm dir",
            Box::new(|| fs::remove_dir(root.join("queue/info/3")).unwrap()),
            format!("{}/queue/info/3 does not exist", root.display()),
        ),
        (
            "chmod page",
            Box::new(|| {
                fs::set_permissions(
                    root.join("man/man8/qmail-send.8"),
                    fs::Permissions::from_mode(0o600),
                )
                .unwrap()
            }),
            format!(
                "{}/man/man8/qmail-send.8 has wrong permissions",
                root.display()
            ),
        ),
    ];
    for (what, damage, want) in &damages {
        damage();
        assert_eq!(
            warnings(&root, Some(ids)),
            vec![format!("qmail-setup: warning: {want}")],
            "{what}"
        );
        let (n, err) = run_setup(&opts);
        assert_eq!((n, err.as_str()), (0, ""), "{what}");
        assert!(warnings(&root, Some(ids)).is_empty(), "{what}");
    }

    // a FIFO replaced by a regular file with the right owner and mode: only the type is wrong
    let trigger = root.join("queue/lock/trigger");
    fs::remove_file(&trigger).unwrap();
    fs::write(&trigger, "").unwrap();
    std::os::unix::fs::chown(
        &trigger,
        Some(ids.qmails.as_raw()),
        Some(ids.qmail.as_raw()),
    )
    .unwrap();
    fs::set_permissions(&trigger, fs::Permissions::from_mode(0o622)).unwrap();
    let want = format!("qmail-setup: warning: {} has wrong type", trigger.display());
    assert_eq!(warnings(&root, Some(ids)), vec![want.clone()]);
    // setup does not delete the stranger; it says so and fails
    let (n, err) = run_setup(&opts);
    assert_eq!(n, 2);
    assert!(err.contains("exists but is not a FIFO"), "{err}");
    assert!(err.contains(&want), "{err}");

    fs::remove_dir_all(root.parent().unwrap().parent().unwrap()).unwrap();
    fs::remove_dir_all(bin).unwrap();
    fs::remove_dir_all(src).unwrap();
}

#[test]
fn package_image_without_chown() {
    let (bin, src) = sources();
    let top = tmp("destdir");
    let root = top.join("var/qmail");
    let opts = Options {
        root: root.clone(),
        bindir: bin.clone(),
        srcdir: Some(src.clone()),
        packaging: true,
        postmaster: None,
    };
    let (n, err) = run_setup(&opts);
    assert_eq!((n, err.as_str()), (0, ""));
    // nothing chowned, nothing configured, modes right
    let me = nix::unistd::geteuid().as_raw();
    let st = fs::metadata(root.join("bin/qmail-queue")).unwrap();
    assert_eq!((st.uid(), st.mode() & 0o7777), (me, 0o4711));
    assert_eq!(fs::metadata(root.join("queue/pid")).unwrap().uid(), me);
    assert!(!root.join("control/me").exists());
    assert!(warnings(&root, None).is_empty());
    for d in [top, bin, src] {
        fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn binary_usage_and_destdir() {
    let exe = env!("CARGO_BIN_EXE_qmail-setup");
    let o = Command::new(exe).arg("--frobnicate").output().unwrap();
    assert_eq!(o.status.code(), Some(100));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "qmail-setup: usage: qmail-setup [ --bindir DIR ] [ --srcdir DIR ] [ --home-only ] [ --postmaster ADDRESS ]\n"
    );
    for bad in [&["--postmaster"][..], &["--postmaster", "|rm"][..]] {
        let o = Command::new(exe).args(bad).output().unwrap();
        assert_eq!(o.status.code(), Some(100), "{bad:?}");
    }
    let o = Command::new(exe).arg("--bindir").output().unwrap();
    assert_eq!(o.status.code(), Some(100));

    let (bin, src) = sources();
    let top = tmp("bin-destdir");
    let o = Command::new(exe)
        .env("DESTDIR", &top)
        .arg("--bindir")
        .arg(&bin)
        .arg("--srcdir")
        .arg(&src)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let root = top.join(qmail_core::auto::QMAIL.trim_start_matches('/'));
    assert!(root.join("queue/lock/trigger").exists());
    assert!(String::from_utf8_lossy(&o.stdout).contains("not built yet, not installed: "));
    assert!(!String::from_utf8_lossy(&o.stdout).contains("qmail-queue"));
    for d in [top, bin, src] {
        fs::remove_dir_all(d).unwrap();
    }
}

/// The aliases every mail system needs: made when absent, delivering to ~alias/Maildir/
/// (made, owned by alias) or to the administrator named; a site's own never overwritten;
/// a postmaster with nowhere to deliver is reported.
#[test]
fn postmaster_aliases() {
    let (bin, src) = sources();
    let root = tmp("pm").join("var/qmail");
    let opts = Options {
        root: root.clone(),
        bindir: bin.clone(),
        srcdir: Some(src.clone()),
        packaging: false,
        postmaster: None,
    };
    let (n, err) = run_setup(&opts);
    assert_eq!((n, err.as_str()), (0, ""));
    let ids = Ids::lookup().unwrap();
    let alias = root.join("alias");
    for n in ["postmaster", "root", "mailer-daemon"] {
        let p = alias.join(format!(".qmail-{n}"));
        assert_eq!(fs::read_to_string(&p).unwrap(), "./Maildir/\n", "{n}");
        assert_eq!(fs::metadata(&p).unwrap().mode() & 0o7777, 0o644);
    }
    for d in ["Maildir", "Maildir/new", "Maildir/cur", "Maildir/tmp"] {
        let st = fs::metadata(alias.join(d)).unwrap();
        assert_eq!(
            (st.uid(), st.mode() & 0o7777),
            (ids.alias.as_raw(), 0o700),
            "{d}"
        );
    }

    // a site's own alias stays; the missing ones come back
    fs::write(alias.join(".qmail-root"), "&admin@example.org\n").unwrap();
    fs::remove_file(alias.join(".qmail-mailer-daemon")).unwrap();
    let opts = Options {
        postmaster: Some("alice".to_string()),
        ..opts
    };
    let (n, err) = run_setup(&opts);
    assert_eq!((n, err.as_str()), (0, ""));
    let read = |n: &str| fs::read_to_string(alias.join(format!(".qmail-{n}"))).unwrap();
    assert_eq!(read("root"), "&admin@example.org\n");
    assert_eq!(read("postmaster"), "./Maildir/\n");
    assert_eq!(read("mailer-daemon"), "&alice\n");

    // nowhere to go: reported by setup's check and by instcheck's
    fs::remove_dir_all(alias.join("Maildir")).unwrap();
    fs::remove_file(alias.join(".qmail-mailer-daemon")).unwrap();
    let v = qmail_install::postmaster::problems(&root);
    assert_eq!(v.len(), 2, "{v:?}");
    assert!(
        v[0].contains(".qmail-postmaster delivers to") && v[0].contains("does not exist"),
        "{v:?}"
    );
    assert!(
        v[1].ends_with(".qmail-mailer-daemon does not exist: mail to mailer-daemon bounces (qmail-setup creates it)"),
        "{v:?}"
    );
    fs::remove_dir_all(root.parent().unwrap().parent().unwrap()).unwrap();
    for d in [bin, src] {
        fs::remove_dir_all(d).unwrap();
    }
}
