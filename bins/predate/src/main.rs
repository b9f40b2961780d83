#![forbid(unsafe_code)]
use std::io::Write;

fn main() {
    let code = match predate::run() {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(std::io::stderr().lock(), "{e}");
            e.exit_code()
        }
    };
    std::process::exit(i32::from(code));
}
