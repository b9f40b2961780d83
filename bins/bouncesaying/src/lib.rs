//! bouncesaying ERROR [PROGRAM [ARG...]]: print ERROR and exit 100, so the message
//! bounces with ERROR as its reason (bouncesaying(1)). With PROGRAM, only if PROGRAM
//! exits 0; 111 from PROGRAM defers, any other answer accepts the delivery (exit 0).
#![forbid(unsafe_code)]

use qmail_core::child;

use std::ffi::OsString;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;

use qmail_core::exit::LocalExit;

use child::Status;

const FATAL: &str = "bouncesaying: fatal: ";
const USAGE: &str = "bouncesaying: usage: bouncesaying error [ program [ arg ... ] ]";

#[derive(Debug)]
pub struct Fatal {
    pub code: u8,
    pub line: Vec<u8>,
}

impl Fatal {
    fn new(code: u8, line: impl Into<Vec<u8>>) -> Fatal {
        Fatal {
            code,
            line: line.into(),
        }
    }

    pub fn report(&self) -> u8 {
        let mut err = io::stderr().lock();
        let _ = err.write_all(&self.line);
        let _ = err.write_all(b"\n");
        let _ = err.flush();
        self.code
    }
}

pub fn run() -> Result<u8, Fatal> {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let Some((error, program)) = args.split_first() else {
        return Err(Fatal::new(100, USAGE));
    };
    if !program.is_empty() {
        match child::run(program) {
            Status::Crashed => return Err(Fatal::new(111, format!("{FATAL}child crashed"))),
            Status::Exited(0) => {}
            Status::Exited(111) => {
                return Err(Fatal::new(111, format!("{FATAL}temporary child error")))
            }
            Status::Exited(_) => return Ok(LocalExit::Ok as u8),
        }
    }
    Err(Fatal::new(LocalExit::Perm as u8, error.as_bytes()))
}
