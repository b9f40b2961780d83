//! The installation as an administrator meets it: qmail-setup run again inside the sandbox
//! with /usr/sbin, /usr/lib, /usr/bin and /etc behind private overlay mounts, so the
//! sendmail links and man-db's configuration it writes never reach the machine. Then the
//! links, `mailq`, `man qmail-send`, the boot files, the SMTP run script with its compiled
//! relay rules, and qmail-upq on the live queue.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::fs;
use std::os::unix::fs::MetadataExt;

use qmail_e2e::{bin_dir, mailbox, maildir_messages, src_dir, uid_of, wait_for, Run, Sandbox};

/// Run `script` in the sandbox after putting the system directories behind overlays
/// (upper layers in a scratch directory). `$SETUP` runs qmail-setup as `make setup` would.
fn overlaid(sb: &Sandbox, script: &str) -> Run {
    let s = sb.scratch();
    let prefix = format!(
        r#"set -u
S={s}
ov() {{ mkdir -p "$S/$2.up" "$S/$2.work" && mount -t overlay overlay -o "lowerdir=$1,upperdir=$S/$2.up,workdir=$S/$2.work" "$1" || exit 90; }}
ov /usr/sbin sbin; ov /usr/lib lib; ov /usr/bin bin; ov /etc etc
SETUP="{setup} --bindir {bin} --srcdir {src}"
"#,
        s = s.display(),
        setup = bin_dir().join("qmail-setup").display(),
        bin = bin_dir().display(),
        src = src_dir().display(),
    );
    sb.sh(&(prefix + script))
}

/// A machine with no other MTA: the names are free, man-db knows nothing of qmail.
const FRESH: &str = r#"
rm -f /usr/sbin/sendmail /usr/lib/sendmail /usr/bin/mailq
sed -i '/qmail/d' /etc/manpath.config
"#;

#[test]
fn links_mailq_and_man_on_a_fresh_machine() {
    let sb = Sandbox::new();
    sb.control("me", &["e2e.example"]);
    let r = overlaid(
        &sb,
        &(FRESH.to_string()
            + r#"
$SETUP > $S/out1 2>&1 || { cat $S/out1; exit 1; }
cat $S/out1
echo "sbin=$(readlink /usr/sbin/sendmail) lib=$(readlink /usr/lib/sendmail) mailq=$(readlink /usr/bin/mailq)"
grep -c '^MANDATORY_MANPATH.*/var/qmail/man$' /etc/manpath.config
# a message through /usr/lib/sendmail (qmail-send is not running: it stays queued)
printf 'Subject: via the link\n\nhi\n' | /usr/lib/sendmail -f a@e2e.example b@e2e.example || exit 2
mailq > $S/mailq; echo "mailq=$?"
/usr/sbin/sendmail -bp > $S/bp; echo "bp=$?"
/var/qmail/bin/qmail-qread > $S/qread
cmp $S/mailq $S/bp && cmp $S/mailq $S/qread && echo same
# qmail-send is not running: the message waits in todo/, where qmail-qread does not look
/var/qmail/bin/qmail-qstat
# man, with a PATH that does not know qmail, and with -M
echo "man=$(env - PATH=/usr/bin:/bin man -w qmail-send)"
echo "manM=$(man -M /var/qmail/man -w qmail-send)"
env - PATH=/usr/bin:/bin MANWIDTH=80 man qmail-send 2>/dev/null | grep -c 'qmail-send'
# the system's own pages stay first
echo "mbox=$(env - PATH=/usr/bin:/bin man -w 5 mbox 2>&1 | grep -c /var/qmail)"
# a second run: nothing to do, nothing said about links or man
cp /etc/manpath.config $S/conf1
$SETUP > $S/out2 2>&1 || { cat $S/out2; exit 3; }
grep -c 'linked\|manpath\|another MTA' $S/out2
cmp /etc/manpath.config $S/conf1 && echo conf-same
"#),
    );
    let out = r.stdout_str();
    assert_eq!(r.code, Some(0), "{out}{}", r.stderr_str());
    for l in [
        "qmail-setup: linked /usr/sbin/sendmail to /var/qmail/bin/sendmail\n",
        "qmail-setup: linked /usr/lib/sendmail to /var/qmail/bin/sendmail\n",
        "qmail-setup: linked /usr/bin/mailq to /var/qmail/bin/sendmail\n",
        "qmail-setup: added /var/qmail/man to /etc/manpath.config\n",
        "sbin=/var/qmail/bin/sendmail lib=/var/qmail/bin/sendmail mailq=/var/qmail/bin/sendmail\n1\n",
        "mailq=0\nbp=0\nsame\nmessages in queue: 1\nmessages in queue but not yet preprocessed: 1\n",
        "man=/var/qmail/man/man8/qmail-send.8\nmanM=/var/qmail/man/man8/qmail-send.8\n",
        "mbox=0\n0\nconf-same\n",
    ] {
        assert!(out.contains(l), "missing {l:?} in:\n{out}");
    }
    // the rendered page names its program
    let rendered: usize = out
        .lines()
        .skip_while(|l| !l.starts_with("manM="))
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert!(rendered >= 3, "{out}");
}

#[test]
fn another_mta_keeps_its_names_and_destdir_touches_nothing() {
    let sb = Sandbox::new();
    let r = overlaid(
        &sb,
        r#"
rm -f /usr/sbin/sendmail /usr/lib/sendmail /usr/bin/mailq
printf '#!/bin/sh\necho other\n' > /usr/sbin/sendmail; chmod 755 /usr/sbin/sendmail
ln -s ../sbin/sendmail /usr/lib/sendmail
ln -s /etc/alternatives/mailq /usr/bin/mailq
sed -i '/qmail/d' /etc/manpath.config
cp /etc/manpath.config $S/conf0
$SETUP > $S/out 2>&1; echo "setup=$?"; cat $S/out
/usr/sbin/sendmail; readlink /usr/lib/sendmail /usr/bin/mailq
# a package image: no links, no man-db change, even on a free machine
rm -f /usr/sbin/sendmail /usr/lib/sendmail /usr/bin/mailq
cp $S/conf0 /etc/manpath.config
DESTDIR=$S/img $SETUP > $S/out2 2>&1; echo "destdir=$?"
ls /usr/sbin/sendmail /usr/lib/sendmail /usr/bin/mailq 2>&1 | grep -c 'No such file'
cmp /etc/manpath.config $S/conf0 && echo conf-same
ls $S/img/var/qmail/boot/home $S/img/var/qmail/bin/sendmail
# --home-only: the same without DESTDIR
$SETUP --home-only > $S/out3 2>&1; echo "home-only=$?"
ls /usr/sbin/sendmail 2>&1 | grep -c 'No such file'
cmp /etc/manpath.config $S/conf0 && echo conf-same
"#,
    );
    let out = r.stdout_str();
    assert_eq!(r.code, Some(0), "{out}{}", r.stderr_str());
    for l in [
        "setup=0\n",
        "qmail-setup: note: /usr/sbin/sendmail belongs to another MTA; left alone\n",
        "qmail-setup: note: /usr/lib/sendmail belongs to another MTA; left alone\n",
        "qmail-setup: note: /usr/bin/mailq belongs to another MTA; left alone\n",
        "other\n../sbin/sendmail\n/etc/alternatives/mailq\n",
        "destdir=0\n3\nconf-same\n",
        "home-only=0\n1\nconf-same\n",
    ] {
        assert!(out.contains(l), "missing {l:?} in:\n{out}");
    }
    // man-db was told about the pages even though the sendmail names are taken
    assert!(out.contains("qmail-setup: added /var/qmail/man to /etc/manpath.config\n"));
    assert!(!out.contains("linked"), "{out}");
}

/// What qmail-setup installs in boot/ (qmail-hier's BOOT table), with modes.
const BOOT: &[(&str, u32)] = &[
    ("boot/home", 0o755),
    ("boot/home+df", 0o755),
    ("boot/proc", 0o755),
    ("boot/proc+df", 0o755),
    ("boot/binm1", 0o755),
    ("boot/binm1+df", 0o755),
    ("boot/binm2", 0o755),
    ("boot/binm2+df", 0o755),
    ("boot/binm3", 0o755),
    ("boot/binm3+df", 0o755),
    ("boot/qmail-smtpd-run", 0o755),
    ("boot/systemd/qmail-send.service", 0o644),
    ("boot/systemd/qmail-smtpd.socket", 0o644),
    ("boot/systemd/qmail-smtpd@.service", 0o644),
    ("boot/daemontools/qmail-send/run", 0o755),
    ("boot/daemontools/qmail-send/log/run", 0o755),
    ("boot/daemontools/qmail-smtpd/run", 0o755),
    ("boot/daemontools/qmail-smtpd/log/run", 0o755),
];

#[test]
fn boot_files_and_the_smtp_run_script() {
    let sb = Sandbox::new();
    sb.control("me", &["e2e.example"]);
    sb.control("locals", &["e2e.example"]);
    sb.control("rcpthosts", &["e2e.example"]);
    // installed with the home filled in, checked by instcheck
    for &(p, mode) in BOOT {
        let path = sb.path(p);
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{p}: {e}"));
        assert!(!text.contains("@QMAILHOME@"), "{p}");
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o7777, mode, "{p}");
    }
    assert!(fs::read_to_string(sb.path("boot/home"))
        .unwrap()
        .contains("PATH=\"/var/qmail/bin:$PATH\""));
    let r = sb.sh("/var/qmail/bin/instcheck");
    assert_eq!(
        (r.code, r.stderr_str().as_str()),
        (Some(0), ""),
        "instcheck"
    );
    let r = sb.sh("rm /var/qmail/boot/proc+df; /var/qmail/bin/instcheck");
    assert_eq!(r.code, Some(1));
    assert_eq!(
        r.stderr_str(),
        "instcheck: warning: /var/qmail/boot/proc+df does not exist\n"
    );
    // the relay rules and their cdb
    assert_eq!(
        fs::read_to_string(sb.path("control/tcp.smtp")).unwrap(),
        "127.:allow,RELAYCLIENT=\"\"\n:allow\n"
    );
    assert!(sb.path("control/tcp.smtp.cdb").is_file());

    // the run script serves SMTP as qmaild; 127.0.0.1 may relay because of the rules
    let home = mailbox(&sb, "runsmtp");
    let send = sb.start_send("./Maildir/");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let smtpd = sb.start(&format!("exec /var/qmail/boot/qmail-smtpd-run {port}"));
    assert!(smtpd.wait_log("status: 0/", 1, 20), "{}", smtpd.log_text());
    let client = format!(
        r#"
import smtplib
s = smtplib.SMTP('127.0.0.1', {port}, timeout=20)
print(s.ehlo()[0])
print(s.mail('x@elsewhere.example')[0])
print(s.rcpt('runsmtp@e2e.example')[0])
print(s.rcpt('someone@far.example')[0])
print(s.data(b'Subject: through the run script\r\n\r\nhello\r\n')[0])
s.quit()
"#
    );
    let out = std::process::Command::new("python3")
        .args(["-c", &client])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "250\n250\n250\n250\n250\n",
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        smtpd.log_text()
    );
    assert!(
        wait_for(30, || maildir_messages(&home.join("Maildir")).len() == 1),
        "{}",
        send.log_text()
    );
    let m = String::from_utf8_lossy(&maildir_messages(&home.join("Maildir"))[0]).into_owned();
    assert!(m.contains("Subject: through the run script\n"), "{m}");
    // qmail-smtpd ran as qmaild: qmail-queue's Received line says so
    assert!(m.contains(" invoked from network); "), "{m}");
    assert!(m.contains("from unknown (HELO "), "{m}");
}

/// users/uids: qmail-setup records the uids qmail-queue names; instcheck warns when the
/// record is stale, untrusted or gone, and another qmail-setup puts it right.
#[test]
fn uids_record_written_checked_and_rewritten() {
    let sb = Sandbox::new();
    let now = format!(
        "alias:{}\nqmaild:{}\nqmails:{}\n",
        uid_of("alias"),
        uid_of("qmaild"),
        uid_of("qmails")
    );
    assert_eq!(fs::read_to_string(sb.path("users/uids")).unwrap(), now);
    let meta = fs::metadata(sb.path("users/uids")).unwrap();
    assert_eq!((meta.uid(), meta.mode() & 0o7777), (0, 0o644));
    let fix = "qmail-queue looks alias, qmaild and qmails up in /etc/passwd instead (qmail-setup rewrites it)";
    let stale = "qmail-queue names its callers by the recorded uids (qmail-setup rewrites it)";
    let path = "/var/qmail/users/uids";
    for (damage, warning) in [
        (
            "printf 'alias:1\\nqmaild:2\\nqmails:3\\n' >/var/qmail/users/uids",
            format!(
                "{path} says alias:1 qmaild:2 qmails:3 but the system says {}: {stale}",
                now.trim_end().replace('\n', " ")
            ),
        ),
        (
            "chmod 664 /var/qmail/users/uids",
            format!(
                "{path} is damaged, not a file, not owned by root or writable by others: {fix}"
            ),
        ),
        (
            "rm /var/qmail/users/uids",
            format!("{path} does not exist: {fix}"),
        ),
    ] {
        let r = sb.sh(&format!("{damage} && /var/qmail/bin/instcheck"));
        assert_eq!(
            (r.code, r.stderr_str()),
            (Some(1), format!("instcheck: warning: {warning}\n")),
            "{damage}"
        );
        let setup = format!(
            "{}/qmail-setup --home-only --bindir {} --srcdir {} >/dev/null",
            bin_dir().display(),
            bin_dir().display(),
            src_dir().display()
        );
        assert_eq!(sb.sh(&setup).code, Some(0), "{damage}");
        assert_eq!(fs::read_to_string(sb.path("users/uids")).unwrap(), now);
        let r = sb.sh("/var/qmail/bin/instcheck");
        assert_eq!((r.code, r.stderr_str().as_str()), (Some(0), ""), "{damage}");
    }
}

#[test]
fn upq_on_the_installed_queue() {
    let sb = Sandbox::new();
    sb.control("me", &["e2e.example"]);
    sb.control("locals", &["e2e.example"]);
    let home = mailbox(&sb, "upq");
    // queued while qmail is stopped
    let r = sb.sh(
        "printf 'Subject: waiting\\n\\nx\\n' | /var/qmail/bin/qmail-inject -f s@e2e.example upq@e2e.example",
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr_str());
    let before = sb.mess_files();
    assert_eq!(before.len(), 1);
    // the split has not changed: nothing moves
    let r = sb.sh("/var/qmail/bin/qmail-upq");
    assert_eq!(
        (r.code, r.stdout_str(), r.stderr_str()),
        (Some(0), String::new(), String::new())
    );
    assert_eq!(sb.mess_files(), before);
    // a message file put in the wrong subdirectory (as after a change of conf-split)
    let (sub, id) = before[0].split_once('/').unwrap();
    let wrong = (sub.parse::<u32>().unwrap() + 1) % qmail_core::auto::SPLIT;
    let r = sb.sh(&format!(
        "mv /var/qmail/queue/mess/{sub}/{id} /var/qmail/queue/mess/{wrong}/{id}"
    ));
    assert_eq!(r.code, Some(0));
    let r = sb.sh("/var/qmail/bin/qmail-upq");
    assert_eq!(r.code, Some(0), "{}", r.stderr_str());
    assert_eq!(sb.mess_files(), before);
    // qmail-send delivers it; while it runs qmail-upq refuses
    let send = sb.start_send("./Maildir/");
    let r = sb.sh("/var/qmail/bin/qmail-upq");
    assert_eq!(r.code, Some(111));
    assert_eq!(
        r.stderr_str(),
        "qmail-upq: fatal: qmail-send is running; stop qmail first\n"
    );
    assert!(
        wait_for(30, || maildir_messages(&home.join("Maildir")).len() == 1),
        "{}",
        send.log_text()
    );
}
