//! qmail-qmqpc: queue a message through a QMQP server. See qmail-qmqpc(8).
#![forbid(unsafe_code)]

fn main() {
    qmail_core::fatal::exit(qmail_qmqpc::run())
}
