#![forbid(unsafe_code)]

fn main() {
    let code = match qmail_newu::run() {
        Ok(()) => 0,
        Err(e) => qmail_newu::report(&e),
    };
    std::process::exit(i32::from(code));
}
