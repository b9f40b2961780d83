#![forbid(unsafe_code)]
fn main() {
    let code = match instcheck::run() {
        Ok(0) => 0,
        Ok(_) => 1,
        Err(e) => e.report(),
    };
    std::process::exit(i32::from(code));
}
