//! qmail-qmtpd: receive mail via QMTP. See qmail-qmtpd(8).
#![forbid(unsafe_code)]

fn main() {
    std::process::exit(i32::from(qmail_qmtpd::run()));
}
