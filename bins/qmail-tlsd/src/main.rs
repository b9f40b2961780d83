//! qmail-tlsd: TLS for qmail-smtpd, in a process of its own. See qmail-tlsd(8).
#![forbid(unsafe_code)]

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    qmail_core::fatal::exit(qmail_tlsd::run(&args))
}
