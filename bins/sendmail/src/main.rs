#![forbid(unsafe_code)]
use std::io::Write;

fn main() {
    let e = sendmail::run();
    let _ = std::io::stderr().lock().write_all(&e.message());
    std::process::exit(i32::from(e.exit_code()));
}
