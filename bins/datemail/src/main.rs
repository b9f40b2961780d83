#![forbid(unsafe_code)]
//! datemail [arg ...]: sendmail with a local-time Date: field, i.e.
//! `predate QMAILHOME/bin/sendmail arg ...`.
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;

fn main() {
    let bin = Path::new(qmail_core::auto::QMAIL).join("bin");
    let e = std::process::Command::new(bin.join("predate"))
        .arg(bin.join("sendmail"))
        .args(std::env::args_os().skip(1))
        .exec();
    let _ = writeln!(
        std::io::stderr().lock(),
        "datemail: fatal: unable to run predate: {e}"
    );
    std::process::exit(111);
}
