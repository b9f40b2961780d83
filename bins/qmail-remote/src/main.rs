#![forbid(unsafe_code)]
// qmail-remote always exits 0: what happened is in the report on fd 1 (qmail-remote(8)).
fn main() {
    qmail_remote::run();
    std::process::exit(0);
}
