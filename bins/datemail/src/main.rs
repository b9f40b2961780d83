#![forbid(unsafe_code)]
//! datemail [arg ...]: sendmail with a local-time Date: field, i.e.
//! `predate QMAILHOME/bin/sendmail arg ...`.

fn main() {
    std::process::exit(i32::from(datemail::run()));
}
