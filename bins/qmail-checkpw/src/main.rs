//! qmail-checkpw: checkpassword for the system's accounts. See qmail-checkpw(8).
#![forbid(unsafe_code)]

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    qmail_core::fatal::exit(qmail_checkpw::run(&args))
}
