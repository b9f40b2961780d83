#![forbid(unsafe_code)]
fn main() {
    // Exit 1 when it printed a warning: a difference is not a fatal error.
    qmail_core::fatal::exit(instcheck::run().map(|warnings| u8::from(warnings > 0)))
}
