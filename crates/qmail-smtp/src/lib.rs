//! qmail-smtpd's SMTP service as an I/O-free state machine ("decide, then do").
//!
//! [`session::Session`] takes the bytes the client sent and returns [`session::Action`]s:
//! replies to write, and qmail-queue steps to carry out. The program (bins/qmail-smtpd) does
//! the reading, writing, timeouts and the qmail-queue child; everything a client can
//! influence is decided here, so it is unit-tested and fuzzed directly. The exceptions,
//! shared with qmail-qmtpd and qmail-qmqpd: [`load`] reads the controls and
//! [`received::peer_from_env`] the tcpserver environment.
#![forbid(unsafe_code)]

pub mod addr;
pub mod auth;
pub mod badmailfrom;
pub mod blast;
pub mod command;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod load;
pub mod rcptcheck;
pub mod rcpthosts;
pub mod received;
pub mod reply;
pub mod session;

pub use session::{Action, AuthResult, Config, Session};
