//! qmail-authres: DKIM and SPF results for mail arriving over SMTP, in front of
//! qmail-queue. See qmail-authres(8).
#![forbid(unsafe_code)]

fn main() {
    qmail_core::fatal::exit(qmail_authres::run())
}
