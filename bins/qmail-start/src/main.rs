#![forbid(unsafe_code)]

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // Only failures return: success execs qmail-send.
    let _ = qmail_start::run(&args);
    qmail_core::fatal::exit(111u8)
}
