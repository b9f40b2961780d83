#![forbid(unsafe_code)]
fn main() {
    let code = match qmail_tcpok::run() {
        Ok(()) => 0,
        Err(e) => e.exit_code(),
    };
    std::process::exit(i32::from(code));
}
