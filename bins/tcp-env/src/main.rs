//! tcp-env: set up TCP-related environment variables. See tcp-env(1).
#![forbid(unsafe_code)]

fn main() {
    qmail_core::fatal::exit(tcp_env::run())
}
