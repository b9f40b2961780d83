//! qmail-rspawn: the remote side of the spawn driver. Each delivery runs
//! `qmail-remote host sender recip` (or `$QMAILREMOTE`), found through PATH, and its
//! NUL-separated reports are folded into one report for qmail-send.
#![forbid(unsafe_code)]

pub mod report;

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::process::{Command, Stdio};

use qmail_core::exit::errno_is_temp;
use qmail_core::{auto, ids};
use qmail_spawn::{Spawner, Started, Status};

/// Size of lock/tcpto, zeroed at start so old timeouts are forgotten: qmail's 1024
/// bytes of IPv4 records and the IPv6 table after them (qmail-tcpto(5)).
pub const TCPTO_SIZE: usize = 1024 + 2048;

pub struct Rspawn {
    program: OsString,
}

pub fn run() -> u8 {
    if std::env::set_current_dir(auto::QMAIL).is_err()
        || std::env::set_current_dir("queue/mess").is_err()
    {
        return 111;
    }
    let Ok(q) = ids::qmailq() else { return 111 };
    tcpto_clean();
    let program = match std::env::var_os("QMAILREMOTE") {
        Some(p) if !p.is_empty() => p,
        _ => OsString::from("qmail-remote"),
    };
    let mut r = Rspawn { program };
    qmail_spawn::drive(&mut r, q.as_raw())
}

fn tcpto_clean() {
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .write(true)
        .open("../lock/tcpto")
    {
        let _ = f.write_all(&[0u8; TCPTO_SIZE]);
    }
}

impl Spawner for Rspawn {
    const TRUNCREPORT: usize = 0;

    fn spawn(
        &mut self,
        mess: File,
        out: OwnedFd,
        sender: &[u8],
        recip: &[u8],
        at: usize,
    ) -> Started {
        let Ok(err) = out.try_clone() else {
            return Started::Done(Status::Exited(111));
        };
        let r = Command::new(&self.program)
            .arg(OsStr::from_bytes(recip.get(at + 1..).unwrap_or(&[])))
            .arg(OsStr::from_bytes(sender))
            .arg(OsStr::from_bytes(recip))
            .stdin(Stdio::from(mess))
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn();
        match r {
            Ok(c) => Started::Child(c),
            Err(e) if e.raw_os_error().is_some_and(errno_is_temp) => {
                Started::Done(Status::Exited(111))
            }
            Err(_) => Started::Done(Status::Exited(100)),
        }
    }

    fn report(status: Status, output: &[u8]) -> Vec<u8> {
        report::report(status, output)
    }
}
