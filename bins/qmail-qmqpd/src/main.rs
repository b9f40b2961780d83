//! qmail-qmqpd: receive mail via QMQP. See qmail-qmqpd(8).
#![forbid(unsafe_code)]

fn main() {
    qmail_core::fatal::exit(qmail_qmqpd::run())
}
