//! Networking pieces shared by qmail-smtpd and qmail-remote.
#![forbid(unsafe_code)]
#![deny(clippy::indexing_slicing)]
#![cfg_attr(test, allow(clippy::indexing_slicing))]

pub mod ip;
pub mod ipme;
