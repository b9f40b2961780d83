//! qmail-lspawn: the local side of the spawn driver. For each delivery it finds
//! the user (users/cdb, else qmail-getpw run as qmailp) and runs qmail-local as that user,
//! never as root. The only data it parses are the spawn commands, users/cdb records and
//! qmail-getpw's six fields.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

pub mod child;
pub mod nughde;
pub mod report;

use std::ffi::OsString;
use std::fs::File;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use qmail_core::exit::Qlx;
use qmail_core::{auto, ids};
use qmail_spawn::{Spawner, Started, Status};

/// argv[0] of the per-delivery child: qmail-lspawn started again to look up the user and
/// become qmail-local, as spawn.c's forked child does (the lookup never blocks the loop).
pub const CHILD: &str = "qmail-lspawn-child";
/// The running program, for starting the child even if the file has been replaced since.
const SELF: &str = "/proc/self/exe";

pub struct Lspawn {
    /// qmail-start's argument: the delivery for users without a .qmail.
    defaultdelivery: OsString,
}

pub fn run(args: &[OsString]) -> u8 {
    if args
        .first()
        .is_some_and(|a| a.as_bytes() == CHILD.as_bytes())
    {
        return child::run(args);
    }
    let Some(dd) = args.get(1) else { return 100 };
    if std::env::set_current_dir(auto::QMAIL).is_err()
        || std::env::set_current_dir("queue/mess").is_err()
    {
        return 111;
    }
    let Ok(q) = ids::qmailq() else { return 111 };
    let mut l = Lspawn {
        defaultdelivery: dd.clone(),
    };
    qmail_spawn::drive(&mut l, q.as_raw())
}

fn os(b: &[u8]) -> &std::ffi::OsStr {
    std::ffi::OsStr::from_bytes(b)
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
        let r = Command::new(SELF)
            .arg0(CHILD)
            .arg(os(local))
            .arg(os(domain))
            .arg(os(sender))
            .arg(&self.defaultdelivery)
            .stdin(Stdio::from(mess))
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn();
        // Starting our own child is spawn.c's fork: its failure says nothing about the
        // recipient (a missing /proc would otherwise bounce every local delivery), so it
        // is temporary whatever the errno. The child itself tells exec errors apart.
        match r {
            Ok(c) => Started::Child(c),
            Err(_) => Started::Done(Status::Exited(Qlx::Sys.code())),
        }
    }

    fn report(status: Status, output: &[u8]) -> Vec<u8> {
        report::report(status, output)
    }
}
