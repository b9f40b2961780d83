#![forbid(unsafe_code)]
fn main() {
    std::process::exit(i32::from(qmail_rspawn::run()));
}
