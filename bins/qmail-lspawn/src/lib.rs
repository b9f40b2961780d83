//! qmail-lspawn: the local side of the spawn driver. For each delivery it finds
//! the user (users/cdb, else qmail-getpw run as qmailp) and runs qmail-local as that user,
//! never as root. The only data it parses are the spawn commands, users/cdb records and
//! qmail-getpw's six fields.
#![forbid(unsafe_code)]

pub mod child;
pub mod nughde;
pub mod report;

use std::ffi::OsString;
use std::fs::File;
use std::os::fd::OwnedFd;

use qmail_core::exit::Qlx;
use qmail_core::{auto, ids};
use qmail_spawn::{Spawner, Started, Status};

pub struct Lspawn {
    /// qmail-start's argument: the delivery for users without a .qmail.
    defaultdelivery: OsString,
    /// qmailp's uid and nofiles' gid, for qmail-getpw: looked up once at start (as qmailq),
    /// not in every delivery's child; None if either is unknown, and then every delivery
    /// fails temporarily, as it did when each child looked them up.
    getpw_ids: Option<(u32, u32)>,
}

pub fn run(args: &[OsString]) -> u8 {
    let Some(dd) = args.get(1) else { return 100 };
    if std::env::set_current_dir(auto::QMAIL).is_err()
        || std::env::set_current_dir("queue/mess").is_err()
    {
        return 111;
    }
    let Ok(q) = ids::qmailq() else { return 111 };
    let getpw_ids = match (ids::qmailp(), ids::gid_nofiles()) {
        (Ok(u), Ok(g)) => Some((u.as_raw(), g.as_raw())),
        _ => None,
    };
    let mut l = Lspawn {
        defaultdelivery: dd.clone(),
        getpw_ids,
    };
    qmail_spawn::drive(&mut l, q.as_raw())
}

impl Spawner for Lspawn {
    const TRUNCREPORT: usize = 3000;

    fn spawn(
        &mut self,
        mess: File,
        out: OwnedFd,
        sender: &[u8],
        recip: &[u8],
        at: usize,
    ) -> Started {
        let local = recip.get(..at).unwrap_or(&[]);
        let domain = recip.get(at + 1..).unwrap_or(&[]);
        if local.is_empty() {
            return Started::Done(Status::Exited(0)); // the trash address, e.g. `@host`
        }
        let Ok(err) = out.try_clone() else {
            return Started::Done(Status::Exited(Qlx::Sys.code()));
        };
        // spawn.c's fork: the child looks up the user and becomes qmail-local (the lookup
        // never blocks this loop). It runs the code already in memory: no exec of
        // /proc/self/exe, so no need for /proc, and after an upgrade the new qmail-lspawn
        // takes over at the next restart, as a C qmail-lspawn does.
        let (local, domain, sender) = (local.to_vec(), domain.to_vec(), sender.to_vec());
        let dd = self.defaultdelivery.clone();
        let ids = self.getpw_ids;
        let r = qmail_sys::fork::fork_run([mess.into(), out, err], move || {
            child::run(&local, &domain, &sender, &dd, ids)
        });
        // A failed fork says nothing about the recipient: temporary whatever the errno.
        match r {
            Ok(pid) => Started::Forked(pid),
            Err(_) => Started::Done(Status::Exited(Qlx::Sys.code())),
        }
    }

    fn report(status: Status, output: &[u8]) -> Vec<u8> {
        report::report(status, output)
    }
}
