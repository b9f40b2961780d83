//! `|command` deliveries: `/bin/sh -c command` in the home directory with the message on
//! fd 0 (rewound, shared), the report pipe on fds 1 and 2, SIGPIPE back to default (std's
//! Command resets it in the child), and the delivery variables in the environment.
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use qmail_core::exit::LocalExit;

use crate::die::{self, Fatal};

/// What a program's exit status means for the rest of the `.qmail` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0: go on with the next line.
    Next,
    /// Exit 99: success, but skip the remaining lines.
    Stop,
}

/// The exit-status table of dot-qmail(5): 0 and 99 succeed; 100 and the sysexits codes
/// that mean "this will never work" bounce; anything else is retried.
pub fn classify(code: Option<i32>) -> Result<Outcome, Fatal> {
    match code {
        None => Err(die::crashed()),
        Some(0) => Ok(Outcome::Next),
        Some(99) => Ok(Outcome::Stop),
        Some(64 | 65 | 70 | 76 | 77 | 78 | 100 | 112) => Err(die::silent(LocalExit::Perm)),
        Some(_) => Err(die::silent(LocalExit::Temp)),
    }
}

pub fn run(cmd: &[u8], vars: &[(&'static str, Vec<u8>)]) -> Result<Outcome, Fatal> {
    let mut c = Command::new("/bin/sh");
    c.arg("-c")
        .arg(OsStr::from_bytes(cmd))
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    for (k, v) in vars {
        c.env(k, OsStr::from_bytes(v));
    }
    let mut child = c.spawn().map_err(|e| match e.raw_os_error() {
        Some(libc::EAGAIN | libc::ENOMEM) => die::fork(&e),
        _ => die::run_sh(&e),
    })?;
    let status = child.wait().map_err(|e| die::fork(&e))?;
    if status.signal().is_some() {
        return Err(die::crashed());
    }
    classify(status.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(classify(Some(0)), Ok(Outcome::Next));
        assert_eq!(classify(Some(99)), Ok(Outcome::Stop));
        for c in [64, 65, 70, 76, 77, 78, 100, 112] {
            assert_eq!(
                classify(Some(c)).unwrap_err().code,
                LocalExit::Perm.code(),
                "{c}"
            );
        }
        for c in [1, 2, 66, 75, 101, 111, 255] {
            assert_eq!(
                classify(Some(c)).unwrap_err().code,
                LocalExit::Temp.code(),
                "{c}"
            );
        }
        assert_eq!(classify(None).unwrap_err(), die::crashed());
        assert!(classify(Some(100)).unwrap_err().line.is_empty());
    }
}
