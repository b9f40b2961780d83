//! qmail-pop3d: distribute mail via POP3. See qmail-pop3d(8).
#![forbid(unsafe_code)]

fn main() {
    std::process::exit(i32::from(qmail_pop3d::run()));
}
