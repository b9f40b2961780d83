//! The table itself. Group is always qmail.
use qmail_core::auto;

use crate::{Entry, Owner};

/// Directories that are not split, in creation order (a parent before its children).
const DIRS: &[(&str, Owner, u32)] = &[
    ("", Owner::Root, 0o755),
    ("control", Owner::Root, 0o755),
    ("users", Owner::Root, 0o755),
    ("bin", Owner::Root, 0o755),
    ("boot", Owner::Root, 0o755),
    ("boot/systemd", Owner::Root, 0o755),
    ("boot/daemontools", Owner::Root, 0o755),
    ("boot/daemontools/qmail-send", Owner::Root, 0o755),
    ("boot/daemontools/qmail-send/log", Owner::Root, 0o755),
    ("boot/daemontools/qmail-smtpd", Owner::Root, 0o755),
    ("boot/daemontools/qmail-smtpd/log", Owner::Root, 0o755),
    ("boot/daemontools/qmail-dkimsign", Owner::Root, 0o755),
    ("boot/daemontools/qmail-dkimsign/log", Owner::Root, 0o755),
    ("doc", Owner::Root, 0o755),
    ("man", Owner::Root, 0o755),
    ("man/cat1", Owner::Root, 0o755),
    ("man/cat5", Owner::Root, 0o755),
    ("man/cat7", Owner::Root, 0o755),
    ("man/cat8", Owner::Root, 0o755),
    ("man/man1", Owner::Root, 0o755),
    ("man/man5", Owner::Root, 0o755),
    ("man/man7", Owner::Root, 0o755),
    ("man/man8", Owner::Root, 0o755),
    // qmail-dkimsign's socket (made there by it, as root); its keys are in dkim/keys,
    // which qmail-dkimkey makes for qmailk, mode 0700
    ("dkim", Owner::Root, 0o755),
    // setgid, so files made in it by root stay in group qmail
    ("alias", Owner::Alias, 0o2755),
    ("queue", Owner::Qmailq, 0o750),
    ("queue/pid", Owner::Qmailq, 0o700),
    ("queue/intd", Owner::Qmailq, 0o700),
    ("queue/todo", Owner::Qmailq, 0o750),
    ("queue/bounce", Owner::Qmails, 0o700),
];

/// Directories split into `0..auto::SPLIT` subdirectories with the same owner and mode.
const SPLIT_DIRS: &[(&str, Owner, u32)] = &[
    ("queue/mess", Owner::Qmailq, 0o750),
    ("queue/info", Owner::Qmails, 0o700),
    ("queue/local", Owner::Qmails, 0o700),
    ("queue/remote", Owner::Qmails, 0o700),
];

/// Programs in bin/, with owner and mode. qmail-queue is the only setuid program: every
/// submitter runs it to write into the queue as qmailq.
pub const PROGRAMS: &[(&str, Owner, u32)] = &[
    ("qmail-queue", Owner::Qmailq, 0o4711),
    // root only: they run as root or write root-trusted files
    ("qmail-lspawn", Owner::Root, 0o700),
    ("qmail-start", Owner::Root, 0o700),
    ("qmail-newu", Owner::Root, 0o700),
    ("qmail-newmrh", Owner::Root, 0o700),
    ("qmail-newrcpt", Owner::Root, 0o700),
    ("qmail-setup", Owner::Root, 0o700),
    ("config-fast", Owner::Root, 0o700),
    // daemons and helpers nobody needs to read
    ("qmail-getpw", Owner::Root, 0o711),
    ("qmail-local", Owner::Root, 0o711),
    ("qmail-remote", Owner::Root, 0o711),
    ("qmail-rspawn", Owner::Root, 0o711),
    ("qmail-clean", Owner::Root, 0o711),
    ("qmail-send", Owner::Root, 0o711),
    // qmail-send starts it (uid qmails) to preprocess todo/
    ("qmail-todo", Owner::Root, 0o711),
    ("splogger", Owner::Root, 0o711),
    ("qmail-pw2u", Owner::Root, 0o711),
    ("qmail-popup", Owner::Root, 0o711),
    // started as root by tcpserver; runs qmail-smtpd as qmaild and itself as qmailt
    ("qmail-tlsd", Owner::Root, 0o711),
    // started as root by the boot scripts; binds its socket, then runs as qmailk
    ("qmail-dkimsign", Owner::Root, 0o711),
    // writes a key file for qmailk
    ("qmail-dkimkey", Owner::Root, 0o700),
    // checkpassword for system accounts; setgid shadow is the site's choice (qmail-checkpw(8))
    ("qmail-checkpw", Owner::Root, 0o711),
    // user programs
    ("qmail-inject", Owner::Root, 0o755),
    // the QMAILQUEUE wrapper that signs: runs as whoever submits
    ("qmail-dkim", Owner::Root, 0o755),
    ("predate", Owner::Root, 0o755),
    ("datemail", Owner::Root, 0o755),
    ("mailsubj", Owner::Root, 0o755),
    ("qmail-showctl", Owner::Root, 0o755),
    ("qmail-qread", Owner::Root, 0o755),
    ("qmail-qstat", Owner::Root, 0o755),
    ("qmail-tcpto", Owner::Root, 0o755),
    ("qmail-tcpok", Owner::Root, 0o755),
    ("qmail-pop3d", Owner::Root, 0o755),
    ("qmail-qmqpc", Owner::Root, 0o755),
    ("qmail-qmqpd", Owner::Root, 0o755),
    ("qmail-qmtpd", Owner::Root, 0o755),
    ("qmail-smtpd", Owner::Root, 0o755),
    // qmail-smtpd's QMAILQUEUE (runs as qmaild)
    ("qmail-authres", Owner::Root, 0o755),
    ("sendmail", Owner::Root, 0o755),
    ("tcp-env", Owner::Root, 0o755),
    ("qreceipt", Owner::Root, 0o755),
    ("qbiff", Owner::Root, 0o755),
    ("forward", Owner::Root, 0o755),
    ("preline", Owner::Root, 0o755),
    ("condredirect", Owner::Root, 0o755),
    ("bouncesaying", Owner::Root, 0o755),
    ("except", Owner::Root, 0o755),
    ("maildirmake", Owner::Root, 0o755),
    ("maildir2mbox", Owner::Root, 0o755),
    // qmail 1.03 installed it; notqmail dropped it
    ("maildirwatch", Owner::Root, 0o755),
    ("instcheck", Owner::Root, 0o755),
    // moves queue files after a change of conf-split; only root may touch the queue
    ("qmail-upq", Owner::Root, 0o700),
    ("qmail-qfix", Owner::Root, 0o700),
];

/// Example start scripts and service files (`boot/` of the source tree), installed with
/// `@QMAILHOME@` filled in: (path under the home and in the source tree, mode). Scripts
/// are 0755, systemd units 0644. boot/check.sh and boot/run-foreground are development
/// tools and are not installed.
pub const BOOT: &[(&str, u32)] = &[
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
    ("boot/systemd/qmail-dkimsign.service", 0o644),
    ("boot/daemontools/qmail-send/run", 0o755),
    ("boot/daemontools/qmail-send/log/run", 0o755),
    ("boot/daemontools/qmail-smtpd/run", 0o755),
    ("boot/daemontools/qmail-smtpd/log/run", 0o755),
    ("boot/daemontools/qmail-dkimsign/run", 0o755),
    ("boot/daemontools/qmail-dkimsign/log/run", 0o755),
];

/// The whole table, parents before children.
pub fn hier() -> Vec<Entry> {
    let mut v: Vec<Entry> = DIRS
        .iter()
        .map(|&(p, owner, mode)| Entry::Dir {
            path: p.to_string(),
            owner,
            mode,
        })
        .collect();
    for &(p, owner, mode) in SPLIT_DIRS {
        v.push(Entry::Dir {
            path: p.to_string(),
            owner,
            mode,
        });
        for n in 0..auto::SPLIT {
            v.push(Entry::Dir {
                path: format!("{p}/{n}"),
                owner,
                mode,
            });
        }
    }
    v.push(Entry::Dir {
        path: "queue/lock".to_string(),
        owner: Owner::Qmailq,
        mode: 0o750,
    });
    // qmail-remote's table of recently timed-out hosts; its size is fixed at install.
    v.push(Entry::Zero {
        path: "queue/lock/tcpto",
        len: 1024,
        owner: Owner::Qmailr,
        mode: 0o644,
    });
    v.push(Entry::Zero {
        path: "queue/lock/sendmutex",
        len: 0,
        owner: Owner::Qmails,
        mode: 0o600,
    });
    // qmail-send's note of the deliveries under way (a repeat after a crash is logged)
    v.push(Entry::Zero {
        path: "queue/lock/inflight",
        len: 0,
        owner: Owner::Qmails,
        mode: 0o600,
    });
    // world-writable so that any qmail-queue can wake qmail-send
    v.push(Entry::Fifo {
        path: "queue/lock/trigger",
        owner: Owner::Qmails,
        mode: 0o622,
    });
    for &(name, owner, mode) in PROGRAMS {
        v.push(Entry::Program { name, owner, mode });
    }
    for &(path, mode) in BOOT {
        v.push(Entry::Boot { path, mode });
    }
    v
}

#[cfg(test)]
mod tests;
