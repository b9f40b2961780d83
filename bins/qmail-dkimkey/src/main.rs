//! qmail-dkimkey: make a DKIM key. See qmail-dkimkey(8).
#![forbid(unsafe_code)]

fn main() {
    qmail_core::fatal::exit(qmail_dkimkey::run())
}
