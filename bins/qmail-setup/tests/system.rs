//! What qmail-setup does besides the table: the boot files from the real source tree, the
//! SMTP relay rules, the sendmail links and man-db's configuration (under a fake system
//! root, so the machine's own /usr and /etc are never touched).
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use qmail_hier::Ids;
use qmail_install::setup::{setup_system, Options};

static N: AtomicUsize = AtomicUsize::new(0);

fn tmp(tag: &str) -> PathBuf {
    let n = N.fetch_add(1, Ordering::SeqCst);
    let d = std::env::temp_dir().join(format!("qmail-setup-sys-{tag}-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A build directory with sendmail and instcheck.
fn bindir() -> PathBuf {
    let bin = tmp("bin");
    for p in ["sendmail", "instcheck"] {
        fs::write(bin.join(p), format!("#!/bin/sh\necho {p}\n")).unwrap();
    }
    bin
}

fn run(opts: &Options) -> (usize, String, String) {
    run_sys(opts, None)
}

fn run_sys(opts: &Options, system: Option<&Path>) -> (usize, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let n = setup_system(opts, system, &mut out, &mut err).unwrap();
    (
        n,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn check(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    qmail_install::setup::check(root, Some(Ids::lookup().unwrap()), &mut out).unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn boot_files_from_the_source_tree() {
    let bin = bindir();
    let top = tmp("boot");
    let root = top.join("var/qmail");
    let opts = Options {
        root: root.clone(),
        bindir: bin.clone(),
        srcdir: Some(repo()),
        packaging: false,
        postmaster: None,
    };
    let (n, _, err) = run(&opts);
    assert_eq!((n, err.as_str()), (0, ""));
    let home = qmail_core::auto::QMAIL;
    for &(p, mode) in qmail_hier::BOOT {
        let st = fs::symlink_metadata(root.join(p)).unwrap();
        assert!(st.is_file(), "{p}");
        assert_eq!((st.uid(), st.mode() & 0o7777), (0, mode), "{p}");
        let text = fs::read_to_string(root.join(p)).unwrap();
        assert!(!text.contains("@QMAILHOME@"), "{p}");
        let src = fs::read_to_string(repo().join(p)).unwrap();
        assert_eq!(text, src.replace("@QMAILHOME@", home), "{p}");
    }
    assert_eq!(qmail_hier::BOOT.len(), 21);
    assert!(fs::read_to_string(root.join("boot/proc"))
        .unwrap()
        .contains(&format!("PATH=\"{home}/bin:$PATH\"")));
    assert!(!root.join("boot/check.sh").exists());
    assert!(!root.join("boot/run-foreground").exists());
    let installed = fs::read_to_string(root.join("doc/INSTALLED")).unwrap();
    assert!(installed.contains("\nboot/binm2+df\n"), "{installed}");
    assert!(installed.contains("\nboot/systemd/qmail-smtpd@.service\n"));
    // the man pages of the tree: qmail-send's among them, home filled in
    let page = fs::read_to_string(root.join("man/man8/qmail-send.8")).unwrap();
    assert!(page.starts_with(".TH"), "{page}");
    assert!(!page.contains("@QMAILHOME@"));
    assert!(check(&root).is_empty());

    // instcheck notices a boot file that disappears or changes mode, setup repairs it
    fs::remove_file(root.join("boot/home")).unwrap();
    fs::set_permissions(
        root.join("boot/systemd/qmail-send.service"),
        fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    assert_eq!(
        check(&root),
        vec![
            format!(
                "qmail-setup: warning: {}/boot/home does not exist",
                root.display()
            ),
            format!(
                "qmail-setup: warning: {}/boot/systemd/qmail-send.service has wrong permissions",
                root.display()
            ),
        ]
    );
    let (n, _, err) = run(&opts);
    assert_eq!((n, err.as_str()), (0, ""));
    assert!(check(&root).is_empty());
    for d in [top, bin] {
        fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn smtp_rules_created_once_and_compiled() {
    let bin = bindir();
    let top = tmp("smtp");
    let root = top.join("var/qmail");
    let opts = Options {
        root: root.clone(),
        bindir: bin.clone(),
        srcdir: None,
        packaging: false,
        postmaster: None,
    };
    let (n, out, err) = run(&opts);
    assert_eq!((n, err.as_str()), (0, ""));
    let rules = root.join("control/tcp.smtp");
    assert_eq!(
        fs::read_to_string(&rules).unwrap(),
        "127.:allow,RELAYCLIENT=\"\"\n:allow\n"
    );
    let st = fs::metadata(&rules).unwrap();
    let ids = Ids::lookup().unwrap();
    assert_eq!(
        (st.uid(), st.gid(), st.mode() & 0o7777),
        (0, ids.qmail.as_raw(), 0o644)
    );
    assert!(out.contains(&format!("qmail-setup: created {}", rules.display())));
    let cdb = root.join("control/tcp.smtp.cdb");
    let have_tcprules = std::process::Command::new("sh")
        .args(["-c", "command -v tcprules"])
        .output()
        .unwrap()
        .status
        .success();
    if have_tcprules {
        let data = fs::read(&cdb).unwrap();
        // a cdb: 2048-byte header, then the records; the 127. rule is a key in it
        assert!(data.len() > 2048);
        assert!(data.windows(4).any(|w| w == b"127."), "no 127. rule");
        assert!(data.windows(12).any(|w| w == b"+RELAYCLIENT"));
    }
    // an edited rules file is kept, and recompiled because it is newer
    fs::write(&rules, "10.:allow,RELAYCLIENT=\"\"\n:allow\n").unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    fs::File::options()
        .write(true)
        .open(&rules)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let (n, out, err) = run(&opts);
    assert_eq!((n, err.as_str()), (0, ""));
    assert!(!out.contains("created"), "{out}");
    assert!(fs::read_to_string(&rules).unwrap().starts_with("10."));
    if have_tcprules {
        let data = fs::read(&cdb).unwrap();
        assert!(data.windows(3).any(|w| w == b"10."));
        assert!(!data.windows(4).any(|w| w == b"127."));
    }
    // a package image gets no control files
    let img = tmp("smtp-img").join("var/qmail");
    let (n, _, err) = run(&Options {
        root: img.clone(),
        bindir: bin.clone(),
        srcdir: None,
        packaging: true,
        postmaster: None,
    });
    assert_eq!((n, err.as_str()), (0, ""));
    assert!(!img.join("control/tcp.smtp").exists());
    for d in [
        top,
        bin,
        img.parent().unwrap().parent().unwrap().to_path_buf(),
    ] {
        fs::remove_dir_all(d).unwrap();
    }
}

/// A system root like Debian's with another MTA's mailq in /usr/bin, no /usr/lib, and
/// man-db's configuration.
fn system() -> PathBuf {
    let sys = tmp("system");
    fs::create_dir_all(sys.join("usr/sbin")).unwrap();
    fs::create_dir_all(sys.join("usr/bin")).unwrap();
    fs::create_dir_all(sys.join("etc/skel")).unwrap();
    fs::write(sys.join("usr/bin/mailq"), "#!/bin/sh\necho other MTA\n").unwrap();
    fs::write(
        sys.join("etc/manpath.config"),
        "MANDATORY_MANPATH\t\t\t/usr/share/man\nMANPATH_MAP\t/bin\t\t\t/usr/share/man",
    )
    .unwrap();
    fs::set_permissions(
        sys.join("etc/manpath.config"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    sys
}

#[test]
fn links_and_manpath_idempotent_and_polite() {
    let bin = bindir();
    let top = tmp("links");
    let root = top.join("var/qmail");
    let sys = system();
    let opts = Options {
        root: root.clone(),
        bindir: bin.clone(),
        srcdir: None,
        packaging: false,
        postmaster: None,
    };
    let (n, out, err) = run_sys(&opts, Some(&sys));
    assert_eq!((n, err.as_str()), (0, ""));
    // new accounts get a Maildir (useradd copies /etc/skel)
    for d in ["", "new", "cur", "tmp"] {
        let st = fs::metadata(sys.join("etc/skel/Maildir").join(d)).unwrap();
        assert!(st.is_dir() && st.mode() & 0o7777 == 0o700, "{d}");
    }
    assert!(
        out.contains("/etc/skel/Maildir/: new accounts get a Maildir\n"),
        "{out}"
    );
    let target = root.join("bin/sendmail");
    assert_eq!(
        fs::read_link(sys.join("usr/sbin/sendmail")).unwrap(),
        target
    );
    assert!(!sys.join("usr/lib").exists());
    assert_eq!(
        fs::read_to_string(sys.join("usr/bin/mailq")).unwrap(),
        "#!/bin/sh\necho other MTA\n"
    );
    assert!(
        out.contains(&format!(
            "qmail-setup: note: {}/usr/bin/mailq belongs to another MTA; left alone\n",
            sys.display()
        )),
        "{out}"
    );
    assert!(out.contains(&format!(
        "qmail-setup: linked {}/usr/sbin/sendmail to {}\n",
        sys.display(),
        target.display()
    )));
    let want_conf = format!(
        "MANDATORY_MANPATH\t\t\t/usr/share/man\nMANPATH_MAP\t/bin\t\t\t/usr/share/man\n\
         # qmail-setup: the qmail pages, after the system's\n\
         MANDATORY_MANPATH\t\t\t{}/man\n",
        root.display()
    );
    assert_eq!(
        fs::read_to_string(sys.join("etc/manpath.config")).unwrap(),
        want_conf
    );
    assert_eq!(
        fs::metadata(sys.join("etc/manpath.config")).unwrap().mode() & 0o7777,
        0o644
    );

    // again: nothing changes, no link is reported as foreign, the line is not repeated
    let link_ino = fs::symlink_metadata(sys.join("usr/sbin/sendmail"))
        .unwrap()
        .ino();
    let (n, out, err) = run_sys(&opts, Some(&sys));
    assert_eq!((n, err.as_str()), (0, ""));
    assert!(!out.contains("usr/sbin/sendmail"), "{out}");
    assert!(!out.contains("manpath"), "{out}");
    assert_eq!(
        fs::symlink_metadata(sys.join("usr/sbin/sendmail"))
            .unwrap()
            .ino(),
        link_ino
    );
    assert_eq!(
        fs::read_to_string(sys.join("etc/manpath.config")).unwrap(),
        want_conf
    );

    // with /usr/lib: a link to our /usr/sbin/sendmail counts as ours; a fresh one is made
    // where nothing is; a dangling link of another MTA is left alone
    fs::create_dir_all(sys.join("usr/lib")).unwrap();
    std::os::unix::fs::symlink("../sbin/sendmail", sys.join("usr/lib/sendmail")).unwrap();
    fs::remove_file(sys.join("usr/bin/mailq")).unwrap();
    std::os::unix::fs::symlink("/usr/lib/nonexistent/mailq", sys.join("usr/bin/mailq")).unwrap();
    let (n, out, err) = run_sys(&opts, Some(&sys));
    assert_eq!((n, err.as_str()), (0, ""));
    assert!(!out.contains("usr/lib/sendmail"), "{out}");
    assert!(
        out.contains("usr/bin/mailq belongs to another MTA; left alone"),
        "{out}"
    );
    assert_eq!(
        fs::read_link(sys.join("usr/lib/sendmail")).unwrap(),
        Path::new("../sbin/sendmail")
    );
    fs::remove_file(sys.join("usr/bin/mailq")).unwrap();
    let (n, _, err) = run_sys(&opts, Some(&sys));
    assert_eq!((n, err.as_str()), (0, ""));
    assert_eq!(fs::read_link(sys.join("usr/bin/mailq")).unwrap(), target);

    // no man-db: nothing written
    fs::remove_file(sys.join("etc/manpath.config")).unwrap();
    let (n, _, err) = run_sys(&opts, Some(&sys));
    assert_eq!((n, err.as_str()), (0, ""));
    assert!(!sys.join("etc/manpath.config").exists());
    for d in [top, bin, sys] {
        fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn no_sendmail_built_no_links() {
    let bin = tmp("nobin");
    let top = tmp("nolinks");
    let root = top.join("var/qmail");
    let sys = system();
    let (n, out, err) = run_sys(
        &Options {
            root: root.clone(),
            bindir: bin.clone(),
            srcdir: None,
            packaging: false,
            postmaster: None,
        },
        Some(&sys),
    );
    assert_eq!((n, err.as_str()), (0, ""));
    assert!(!sys.join("usr/sbin/sendmail").exists());
    assert!(
        out.contains("is not installed; no sendmail links made"),
        "{out}"
    );
    for d in [top, bin, sys] {
        fs::remove_dir_all(d).unwrap();
    }
}
