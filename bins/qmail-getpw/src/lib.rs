//! qmail-getpw LOCAL: which account controls the local part LOCAL (qmail-getpw(8)).
//! Prints `user\0uid\0gid\0home\0dash\0ext\0`; the lookup is qmail_core::getpw, which
//! qmail-lspawn runs itself in a child as qmailp. Exit codes are qmail-lspawn's (qlx);
//! 100 without an argument.
#![forbid(unsafe_code)]

use std::io::{self, Write};
use std::os::unix::ffi::OsStringExt;

use qmail_core::exit::Qlx;
use qmail_core::fatal::Fatal;
use qmail_core::getpw::{getpw, System};

/// qmail-getpw says nothing: qmail-lspawn reads the exit code (qlx.h).
pub fn run() -> Result<(), Fatal> {
    let Some(local) = std::env::args_os().nth(1) else {
        return Err(Fatal::quiet(100));
    };
    let n = getpw(&System, &local.into_vec()).map_err(|q| Fatal::quiet(q.code()))?;
    let mut out = io::stdout().lock();
    out.write_all(&n.to_bytes())
        .and_then(|()| out.flush())
        .map_err(|_| Fatal::quiet(Qlx::Sys.code()))
}
