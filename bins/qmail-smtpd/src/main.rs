//! qmail-smtpd: receive mail via SMTP. See qmail-smtpd(8).
#![forbid(unsafe_code)]

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    qmail_core::fatal::exit(qmail_smtpd::run(&args))
}
