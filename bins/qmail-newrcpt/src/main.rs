//! qmail-newrcpt: build users/rcpt.cdb for qmail-smtpd's recipient check. See
//! qmail-newrcpt(8).
#![forbid(unsafe_code)]

fn main() {
    qmail_core::fatal::exit(qmail_newrcpt::run())
}
