#![forbid(unsafe_code)]

fn main() {
    qmail_core::fatal::exit(maildir2mbox::run())
}
