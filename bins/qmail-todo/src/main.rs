#![forbid(unsafe_code)]

fn main() {
    qmail_core::fatal::exit(qmail_todo::run())
}
