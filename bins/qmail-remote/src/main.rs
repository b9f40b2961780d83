#![forbid(unsafe_code)]

fn main() {
    qmail_remote::run();
    // qmail-remote always exits 0: what happened is in the report on fd 1 (qmail-remote(8)).
    qmail_core::fatal::exit(0u8)
}
