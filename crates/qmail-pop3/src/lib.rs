//! POP3 as qmail-popup and qmail-pop3d speak it, without I/O of its own: the command
//! reader both programs use (`commands`), the transaction state of qmail-pop3d (`state`),
//! and how a message goes on the wire (`blast`).
#![forbid(unsafe_code)]

pub mod blast;
pub mod commands;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod state;

/// POP3 sessions wait this long for each read or write (qmail-popup and qmail-pop3d).
pub const TIMEOUT_SECS: u64 = 1200;
