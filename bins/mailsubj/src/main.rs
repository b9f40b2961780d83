#![forbid(unsafe_code)]
use std::io::Write;

fn main() {
    let code = match mailsubj::run() {
        Ok(code) => code,
        Err((code, msg)) => {
            let _ = writeln!(std::io::stderr().lock(), "{msg}");
            code
        }
    };
    std::process::exit(i32::from(code));
}
