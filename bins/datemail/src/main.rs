//! datemail [arg ...]: sendmail with a local-time Date: field, i.e.
//! `predate QMAILHOME/bin/sendmail arg ...`.
#![forbid(unsafe_code)]

fn main() {
    qmail_core::fatal::exit(datemail::run())
}
