//! SPF (RFC 7208) for qmail-rs: is the client's IP address allowed to send mail from the
//! envelope sender's domain? The record parser, macro expansion and check_host() with
//! the limits of §4.6.4; DNS behind a trait, asked through qmail-dns in production.
#![forbid(unsafe_code)]

pub mod dns;
pub mod eval;
pub mod macros;
pub mod record;

pub use dns::{Dns, DnsFail, ResolverDns};
pub use eval::{check_host, check_sender, Outcome, Query, SpfResult};
