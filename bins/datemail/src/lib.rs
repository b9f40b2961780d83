//! The work of datemail: exec `predate QMAILHOME/bin/sendmail arg ...`.
#![forbid(unsafe_code)]

use std::io::{self, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;

use qmail_core::errstr::errstr;

/// Become `predate sendmail args…`; returns only if the exec failed, with the exit code
/// after the fatal line (111: a failed exec is temporary).
pub fn run() -> u8 {
    let bin = Path::new(qmail_core::auto::QMAIL).join("bin");
    let e = std::process::Command::new(bin.join("predate"))
        .arg(bin.join("sendmail"))
        .args(std::env::args_os().skip(1))
        .exec();
    fatal(&e)
}

fn fatal(e: &io::Error) -> u8 {
    let _ = writeln!(
        io::stderr().lock(),
        "datemail: fatal: unable to run predate: {}",
        errstr(e)
    );
    111
}
