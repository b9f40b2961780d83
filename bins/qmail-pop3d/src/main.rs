//! qmail-pop3d: distribute mail via POP3. See qmail-pop3d(8).
#![forbid(unsafe_code)]

fn main() {
    qmail_core::fatal::exit(qmail_pop3d::run())
}
