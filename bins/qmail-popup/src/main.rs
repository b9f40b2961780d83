//! qmail-popup: read a POP username and password. See qmail-popup(8).
#![forbid(unsafe_code)]

fn main() {
    qmail_core::fatal::exit(qmail_popup::run())
}
