//! qmail-qmqpc: queue a message through a QMQP server. See qmail-qmqpc(8).
#![forbid(unsafe_code)]

fn main() {
    std::process::exit(i32::from(qmail_qmqpc::run()));
}
