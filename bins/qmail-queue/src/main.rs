//! qmail-queue: queue a mail message for delivery. See qmail-queue(8).
#![forbid(unsafe_code)]

fn main() {
    qmail_core::fatal::exit(qmail_queue::run())
}
