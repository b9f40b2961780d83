//! DKIM signing (RFC 6376) for qmail-rs: relaxed/relaxed canonicalisation, rsa-sha256 and
//! ed25519-sha256 (RFC 8463), and the tag-list parser used for DKIM-Signature header
//! fields and DNS key records. Pure: the caller reads the message and the key file.
#![forbid(unsafe_code)]

pub mod base64;
pub mod canon;
pub mod key;
pub mod proto;
pub mod sign;
pub mod tags;

pub use key::{Key, KeyError};
pub use sign::{finish, prepare, sign, Prepared, Signer};
