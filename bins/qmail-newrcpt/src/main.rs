//! qmail-newrcpt: build users/rcpt.cdb for qmail-smtpd's recipient check. See
//! qmail-newrcpt(8).
#![forbid(unsafe_code)]

fn main() {
    let code = match qmail_newrcpt::run() {
        Ok(()) => 0,
        Err(e) => e.report(),
    };
    std::process::exit(i32::from(code));
}
