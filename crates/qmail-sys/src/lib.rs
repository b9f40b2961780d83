//! The system-call layer of qmail-rs. Every `unsafe` block of the project lives in this
//! crate, one foreign call per block, each with a `// SAFETY:` line about its arguments.
//! Everything else is written in safe Rust on top of these functions and of `nix`.

pub mod childfd;
pub mod crypt;
pub mod cvt;
pub mod exit;
pub mod fd;
pub mod fork;
pub mod prot;
pub mod sig;
pub mod spawn;

pub use nix;
