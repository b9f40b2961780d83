//! DKIM (RFC 6376) for qmail-rs: signing with relaxed/relaxed canonicalisation,
//! rsa-sha256 and ed25519-sha256 (RFC 8463); verification of received signatures (simple
//! and relaxed, l=, streaming body hash); the tag-list parser used for DKIM-Signature
//! header fields and DNS key records; for the signer, the signing domain and
//! control/dkimdomains. Pure: the caller reads the message, the key
//! file, and DNS.
#![forbid(unsafe_code)]

pub mod base64;
pub mod body;
pub mod canon;
pub mod domains;
pub mod from;
pub mod key;
pub mod keyrec;
pub mod proto;
pub mod sign;
pub mod signature;
pub mod tags;
pub mod verify;

pub use key::{Key, KeyError};
pub use sign::{finish, finish_with, prepare, prepare_header, sign, Prepared, Signer};
