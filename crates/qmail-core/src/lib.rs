//! The safe core shared by the qmail-rs programs.
#![forbid(unsafe_code)]

pub mod auto;
pub mod cdb;
pub mod constmap;
pub mod control;
pub mod date822;
pub mod exit;
pub mod fmtqfn;
pub mod ids;
pub mod qmail;
pub mod text0;
