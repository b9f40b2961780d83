//! Recipient rewriting lives in qmail-core (qmail-smtpd's recipient check uses it too).
pub use qmail_core::rewrite::Rewrite;

use crate::chan::Channel;

/// qmail-core's channel as qmail-send's.
pub fn channel(c: qmail_core::rewrite::Channel) -> Channel {
    match c {
        qmail_core::rewrite::Channel::Local => Channel::Local,
        qmail_core::rewrite::Channel::Remote => Channel::Remote,
    }
}
