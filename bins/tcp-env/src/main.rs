//! tcp-env: set up TCP-related environment variables. See tcp-env(1).
#![forbid(unsafe_code)]

fn main() {
    std::process::exit(i32::from(tcp_env::run()));
}
