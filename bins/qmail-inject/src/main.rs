#![forbid(unsafe_code)]
use std::io::Write;

fn main() {
    let code = match qmail_inject::run() {
        Ok(()) => 0,
        Err(e) => {
            let _ = std::io::stderr().lock().write_all(&e.message());
            e.exit_code()
        }
    };
    std::process::exit(i32::from(code));
}
