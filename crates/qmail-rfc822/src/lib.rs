//! All of qmail's RFC 822 complexity, in one unprivileged crate: the token822 tokenizer
//! and printer, the address-list walker, header/body splitting, header field names,
//! quoting, and qmail-inject's address and header rewriting.
//!
//! Only qmail-inject and sendmail may depend on this crate (.ci/run checks it):
//! every other program treats message headers as opaque bytes.
#![forbid(unsafe_code)]

pub mod addrlist;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod headerbody;
pub mod hfield;
pub mod inject;
pub mod quote;
pub mod rewrite;
pub mod sgetopt;
pub mod token822;
