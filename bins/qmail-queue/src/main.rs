//! qmail-queue: queue a mail message for delivery. See qmail-queue(8).
#![forbid(unsafe_code)]

fn main() {
    let code = match qmail_queue::run() {
        Ok(()) => 0,
        Err(e) => e.code(),
    };
    std::process::exit(i32::from(code));
}
