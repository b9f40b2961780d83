#![forbid(unsafe_code)]

fn main() {
    qmail_core::fatal::exit(qmail_lspawn::run(&std::env::args_os().collect::<Vec<_>>()))
}
