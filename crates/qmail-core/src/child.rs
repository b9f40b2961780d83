//! Run a .qmail helper's test program (bouncesaying, condredirect, except) with fd 0, 1 and 2 inherited and wait for it. A program that
//! cannot be started counts as exit 111 (temporary errno) or 100, as if a forked child
//! had failed its exec. Also: feeding a child's stdin the way mailsubj and predate do.
use std::ffi::OsString;
use std::io::{self, Read, Write};
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

/// Copy `input` to `pipe` (a child's stdin) in 8 KiB pieces until the input ends. A
/// child that stops reading (a write error) ends the copy quietly: its exit code tells
/// the rest. A read error is returned; an interrupted read is retried.
pub fn feed(input: &mut impl Read, pipe: &mut impl Write) -> io::Result<()> {
    let mut buf = vec![0u8; 8192];
    loop {
        match input.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                if pipe.write_all(buf.get(..n).unwrap_or_default()).is_err() {
                    return Ok(());
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}
