//! bouncesaying ERROR [PROGRAM [ARG...]]: print ERROR and exit 100, so the message
//! bounces with ERROR as its reason (bouncesaying(1)). With PROGRAM, only if PROGRAM
//! exits 0; 111 from PROGRAM defers, any other answer accepts the delivery (exit 0).
#![forbid(unsafe_code)]

use qmail_core::child;

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use qmail_core::exit::LocalExit;
pub use qmail_core::fatal::Fatal;

use child::Status;

const FATAL: &str = "bouncesaying: fatal: ";
const USAGE: &str = "bouncesaying: usage: bouncesaying error [ program [ arg ... ] ]";

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
            Status::Exited(_) => return Ok(LocalExit::Ok.code()),
        }
    }
    Err(Fatal::new(LocalExit::Perm.code(), error.as_bytes()))
}
