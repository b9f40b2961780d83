#![forbid(unsafe_code)]
fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    splogger::run(&args);
    std::process::exit(0);
}
