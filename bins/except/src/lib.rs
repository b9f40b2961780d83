//! except PROGRAM [ARG...]: run PROGRAM and turn its success into a bounce (exit 100)
//! and its permanent failure into success (exit 0); 111 stays 111 (except(1)).
#![forbid(unsafe_code)]

use qmail_core::child;

use std::ffi::OsString;

use qmail_core::exit::LocalExit;
pub use qmail_core::fatal::Fatal;

use child::Status;

const FATAL: &str = "except: fatal: ";
const USAGE: &str = "except: usage: except program [ arg ... ]";

pub fn run() -> Result<u8, Fatal> {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    if args.is_empty() {
        return Err(Fatal::new(100, USAGE));
    }
    match child::run(&args) {
        Status::Crashed => Err(Fatal::new(111, format!("{FATAL}child crashed"))),
        Status::Exited(0) => Ok(LocalExit::Perm.code()),
        Status::Exited(111) => Err(Fatal::new(111, format!("{FATAL}temporary child error"))),
        Status::Exited(_) => Ok(LocalExit::Ok.code()),
    }
}
