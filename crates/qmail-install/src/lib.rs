//! The logic of the installation programs, so that no program depends on another:
//! [`config`] is config-fast (the control files for a host name), [`setup`] is qmail-setup
//! (users, the tree, the first configuration, the postmaster aliases, the links), and
//! both it and instcheck check the result with qmail-hier's table.
#![forbid(unsafe_code)]

pub mod config;
mod hostname;
mod links;
mod manpath;
mod pages;
pub mod postmaster;
pub mod setup;
mod smtp;
pub mod uids;
mod users;
