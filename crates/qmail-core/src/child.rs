//! Run a .qmail helper's test program (bouncesaying, condredirect, except) with fd 0, 1 and 2 inherited and wait for it. A program that
//! cannot be started counts as exit 111 (temporary errno) or 100, as if a forked child
//! had failed its exec.
use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;

use crate::exit::errno_is_temp;

#[derive(Debug, PartialEq, Eq)]
pub enum Status {
    Exited(i32),
    Crashed,
}

pub fn run(argv: &[OsString]) -> Status {
    let Some((prog, args)) = argv.split_first() else {
        return Status::Exited(100);
    };
    let mut child = match Command::new(prog).args(args).spawn() {
        Ok(c) => c,
        Err(e) => {
            let temp = e.raw_os_error().is_some_and(errno_is_temp);
            return Status::Exited(if temp { 111 } else { 100 });
        }
    };
    loop {
        match child.wait() {
            Ok(s) if s.signal().is_some() => return Status::Crashed,
            Ok(s) => return Status::Exited(s.code().unwrap_or(111)),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return Status::Crashed,
        }
    }
}
