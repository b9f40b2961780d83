#![forbid(unsafe_code)]

fn main() {
    let code = match qmail_pw2u::run() {
        Ok(()) => 0,
        Err(e) => qmail_pw2u::report(&e),
    };
    std::process::exit(i32::from(code));
}
