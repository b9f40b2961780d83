//! qmail-dkim: sign outgoing mail on its way into the queue. See qmail-dkim(8).
#![forbid(unsafe_code)]

fn main() {
    qmail_core::fatal::exit(qmail_dkim::run())
}
