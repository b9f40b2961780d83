#![forbid(unsafe_code)]

fn main() {
    let code = match qmail_local::run() {
        Ok(()) => 0,
        Err(die) => qmail_local::report(&die),
    };
    std::process::exit(i32::from(code));
}
