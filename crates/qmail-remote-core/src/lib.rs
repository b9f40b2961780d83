//! The parts of qmail-remote (and qmail-tcpto, qmail-tcpok) that decide without doing:
//! reading SMTP replies and the EHLO extension list, the DATA transparency encoder,
//! smtproutes, tlsdestinations, the choice and order of mail exchangers, the `lock/tcpto`
//! records, and every report text qmail-send reads. I/O comes in through small traits so
//! tests and fuzz targets drive the logic directly. The one exception is [`tcpto`], which
//! also opens, locks and rewrites `queue/lock/tcpto` itself (qmail-remote, qmail-tcpto
//! and qmail-tcpok share that file).
#![forbid(unsafe_code)]

pub mod addr;
pub mod auth;
pub mod blast;
pub mod ehlo;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod mxip;
pub mod reply;
pub mod report;
pub mod route;
pub mod tcpto;
pub mod tlspolicy;
