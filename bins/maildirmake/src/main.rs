#![forbid(unsafe_code)]

fn main() {
    let code = match maildirmake::run() {
        Ok(()) => 0,
        Err(e) => maildirmake::report(&e),
    };
    std::process::exit(i32::from(code));
}
