//! qmail-smtpd: receive mail via SMTP. See qmail-smtpd(8).
#![forbid(unsafe_code)]

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let code = qmail_smtpd::run(&args);
    // The replies went out on fd 1 directly (std's stdout is not used). The runtime's
    // teardown at exit (its signal stack: sigaltstack and munmap) is skipped.
    qmail_sys::exit::exit_now(code)
}
