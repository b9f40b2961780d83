//! qmail-qmtpd: receive mail via QMTP. See qmail-qmtpd(8).
#![forbid(unsafe_code)]

fn main() {
    qmail_core::fatal::exit(qmail_qmtpd::run())
}
