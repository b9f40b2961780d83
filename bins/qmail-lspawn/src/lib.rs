//! qmail-lspawn: the local side of the spawn driver (spec §4.1). For each delivery it finds
//! the user (users/cdb, else qmail-getpw run as qmailp) and runs qmail-local as that user,
//! never as root. The only data it parses are the spawn commands, users/cdb records and
//! qmail-getpw's six fields.
#![forbid(unsafe_code)]

pub mod nughde;
pub mod report;

use std::ffi::OsString;
use std::fs::File;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use qmail_core::exit::{errno_is_temp, Qlx};
use qmail_core::{auto, ids};
use qmail_spawn::{Spawner, Started, Status};

pub struct Lspawn {
    /// qmail-start's argument: the delivery for users without a .qmail.
    defaultdelivery: OsString,
    qmailp: u32,
    nofiles: u32,
}

pub fn run(args: &[OsString]) -> u8 {
    let Some(dd) = args.get(1) else { return 100 };
    if std::env::set_current_dir(auto::QMAIL).is_err()
        || std::env::set_current_dir("queue/mess").is_err()
    {
        return 111;
    }
    let (Ok(q), Ok(p), Ok(n)) = (ids::qmailq(), ids::qmailp(), ids::gid_nofiles()) else {
        return 111;
    };
    let mut l = Lspawn {
        defaultdelivery: dd.clone(),
        qmailp: p.as_raw(),
        nofiles: n.as_raw(),
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
        let home = Path::new(auto::QMAIL);
        let u = match nughde::get(home, local, self.qmailp, self.nofiles) {
            Ok(u) => u,
            Err(code) => return Started::Done(Status::Exited(code)),
        };
        if u.uid == 0 {
            return Started::Done(Status::Exited(Qlx::Root.code()));
        }
        let Ok(err) = out.try_clone() else {
            return Started::Done(Status::Exited(Qlx::Sys.code()));
        };
        let r = Command::new(home.join("bin/qmail-local"))
            .arg0("bin/qmail-local")
            .current_dir(home)
            .arg("--")
            .arg(os(&u.user))
            .arg(os(&u.home))
            .arg(os(local))
            .arg(os(&u.dash))
            .arg(os(&u.ext))
            .arg(os(domain))
            .arg(os(sender))
            .arg(&self.defaultdelivery)
            .stdin(Stdio::from(mess))
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            // With a uid and no explicit groups std clears the supplementary groups.
            .gid(u.gid)
            .uid(u.uid)
            .spawn();
        match r {
            Ok(c) => Started::Child(c),
            Err(e) if e.raw_os_error().is_some_and(errno_is_temp) => {
                Started::Done(Status::Exited(Qlx::ExecSoft.code()))
            }
            Err(_) => Started::Done(Status::Exited(Qlx::ExecHard.code())),
        }
    }

    fn report(status: Status, output: &[u8]) -> Vec<u8> {
        report::report(status, output)
    }
}
