//! qmail-send: the queue manager (spec §2.6–2.9, §3.2–3.8).
#![forbid(unsafe_code)]

pub mod chan;
pub mod log;
pub mod sched;
pub mod verp;
