//! qmail-tcpok: forget every connect timeout qmail-remote has recorded, by overwriting
//! `queue/lock/tcpto` with zeroes under its lock (qmail-tcpok(8)). Run it as root or
//! qmailr after a network outage, so remote hosts are tried again at once.
#![forbid(unsafe_code)]

use qmail_core::auto;
use qmail_core::fatal::Fatal;
use qmail_remote_core::tcpto::{self, OpenError};
use std::io;

fn fail(what: &str, path: &str, e: &io::Error) -> Fatal {
    Fatal::sys(111, "qmail-tcpok", &format!("unable to {what} {path}: "), e)
}

pub fn run() -> Result<(), Fatal> {
    let lockdir = format!("{}/queue/lock", auto::QMAIL);
    let file = format!("{lockdir}/tcpto");
    std::env::set_current_dir(auto::QMAIL).map_err(|e| fail("chdir to", auto::QMAIL, &e))?;
    std::env::set_current_dir("queue/lock").map_err(|e| fail("chdir to", &lockdir, &e))?;
    tcpto::clear("tcpto").map_err(|e| match e {
        OpenError::Open(e) => fail("open", &file, &e),
        OpenError::Lock(e) => fail("lock", &file, &e),
        OpenError::Read(e) | OpenError::Write(e) => fail("clear", &file, &e),
    })
}
