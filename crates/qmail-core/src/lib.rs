//! The safe core shared by the qmail-rs programs.
#![forbid(unsafe_code)]

pub mod auto;
pub mod cdb;
pub mod checkpassword;
pub mod child;
pub mod constmap;
pub mod control;
pub mod date822;
pub mod dotqmail;
pub mod errstr;
pub mod exit;
pub mod fatal;
pub mod getpw;
pub mod ids;
pub mod maildir;
pub mod mbox;
pub mod qmail;
pub mod queue;
pub mod quote;
pub mod rewrite;
pub mod sendlog;
pub mod text0;
pub mod uids;
pub mod users;
