#![forbid(unsafe_code)]

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    splogger::run(&args);
    qmail_core::fatal::exit(0u8)
}
