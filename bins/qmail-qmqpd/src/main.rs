//! qmail-qmqpd: receive mail via QMQP. See qmail-qmqpd(8).
#![forbid(unsafe_code)]

fn main() {
    std::process::exit(i32::from(qmail_qmqpd::run()));
}
