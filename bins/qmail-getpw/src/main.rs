#![forbid(unsafe_code)]

fn main() {
    let code = match qmail_getpw::run() {
        Ok(()) => 0,
        Err(code) => code,
    };
    std::process::exit(i32::from(code));
}
