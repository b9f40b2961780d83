//! The queue's on-disk format in one place: its directories and lock files ([`dirs`]), a
//! message's file names ([`names`]), the records of every queue file ([`records`]), and
//! the lines qmail-send and qmail-todo exchange about todo/ ([`todopipe`]). The
//! envelope a submitter hands qmail-queue is [`crate::text0`]; qmail-queue stores it,
//! behind a `u` and a `p` record, as intd/<id> and todo/<id>.
//!
//! Everything here is a pure function of its arguments: the programs that read and write
//! the queue (qmail-queue, qmail-send, qmail-clean, qmail-qread, qmail-qstat, qmail-upq,
//! qmail-qfix) do the I/O.

pub mod dirs;
pub mod names;
pub mod records;
pub mod todopipe;

pub use dirs::Dir;

/// A file in mess/ or pid/ whose atime is this old (36 hours) and that no info or todo
/// file refers to is a leftover of a qmail-queue that died: it exceeds qmail-queue's
/// 24-hour suicide alarm, so no live qmail-queue can still own it.
pub const OSSIFIED: i64 = 129_600;
pub use names::{parse_id, split_of};
