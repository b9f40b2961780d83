//! A small DNS stub resolver for qmail-remote (and tcp-env): queries over UDP
//! to the nameservers of `/etc/resolv.conf`, TCP when the answer is truncated, and a
//! packet parser that treats every byte of an answer as hostile.
//!
//! Failure classes follow qmail's dns.c (which followed `res_query`): a *hard* failure
//! (the name does not exist, or exists without records of any kind for the type) is
//! permanent; everything else (timeouts, unreachable servers, server failures, answers
//! that do not parse) is *soft*, i.e. temporary.
#![forbid(unsafe_code)]

#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod name;
pub mod packet;
pub mod resolvconf;
pub mod resolver;
mod transport;

pub use name::Name;
pub use packet::{Message, RData, Record};
pub use resolver::{DnsError, Mx, Resolver, Tlsa};
