//! qmail-dkimsign: the DKIM signer. See qmail-dkimsign(8).
#![forbid(unsafe_code)]

fn main() {
    qmail_core::fatal::exit(qmail_dkimsign::run())
}
