#![forbid(unsafe_code)]
fn main() {
    let code = match qmail_install::setup::run() {
        Ok(()) => 0,
        Err(e) => e.report(),
    };
    std::process::exit(i32::from(code));
}
