#![forbid(unsafe_code)]
fn main() {
    std::process::exit(i32::from(qmail_qfix::main()));
}
