//! qmail-popup: read a POP username and password. See qmail-popup(8).
#![forbid(unsafe_code)]

fn main() {
    std::process::exit(i32::from(qmail_popup::run()));
}
