//! qmail-smtpd: receive mail via SMTP. See qmail-smtpd(8).
#![forbid(unsafe_code)]

fn main() {
    std::process::exit(i32::from(qmail_smtpd::run()));
}
