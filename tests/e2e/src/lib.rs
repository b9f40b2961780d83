//! The end-to-end harness (see tests/).
#![forbid(unsafe_code)]
