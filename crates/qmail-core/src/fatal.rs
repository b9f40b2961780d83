//! One way for a program to stop (qmail's strerr_die): at most one line on fd 2 and an
//! exit code. A program's `run` returns its exit code, or a `Result` of an exit code (or
//! `()`) and anything that converts into a [`Fatal`]; its `main` is always
//!
//! ```ignore
//! fn main() {
//!     qmail_core::fatal::exit(prog::run())
//! }
//! ```
//!
//! The line is built by the program (its texts are interface data, kept byte for byte);
//! [`Fatal::die`] and [`Fatal::sys`] make the usual `prog: fatal: …` lines.
use std::io::{self, Write};

use crate::errstr::errstr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fatal {
    pub code: u8,
    /// The whole line, without its newline; any bytes. Empty: say nothing.
    pub line: Vec<u8>,
    /// The line goes to fd 1 instead (qmail-tcpto, whose output is the report).
    pub on_stdout: bool,
    /// A newline follows the line (not for [`Fatal::verbatim`] texts).
    pub newline: bool,
}

impl Fatal {
    pub fn new(code: u8, line: impl Into<Vec<u8>>) -> Fatal {
        Fatal {
            code,
            line: line.into(),
            on_stdout: false,
            newline: true,
        }
    }

    /// Exit with `code` after printing `text` exactly as it is (several lines, or a last
    /// line with no newline: qmail-inject's and sendmail's texts).
    pub fn verbatim(code: u8, text: impl Into<Vec<u8>>) -> Fatal {
        Fatal {
            newline: false,
            ..Fatal::new(code, text)
        }
    }

    /// The same, printed on fd 1.
    pub fn on_stdout(self) -> Fatal {
        Fatal {
            on_stdout: true,
            ..self
        }
    }

    /// Exit with `code` and print nothing.
    pub fn quiet(code: u8) -> Fatal {
        Fatal::new(code, Vec::new())
    }

    /// `prog: fatal: text`.
    pub fn die(code: u8, prog: &str, text: impl AsRef<[u8]>) -> Fatal {
        let mut line = format!("{prog}: fatal: ").into_bytes();
        line.extend_from_slice(text.as_ref());
        Fatal::new(code, line)
    }

    /// `prog: fatal: text` followed by the error's short text (`text` ends in `: ` or
    /// names the object: it is copied as it is).
    pub fn sys(code: u8, prog: &str, text: &str, e: &io::Error) -> Fatal {
        Fatal::die(code, prog, format!("{text}{}", errstr(e)))
    }

    /// The failure a qmail-queue report stands for: `D…` is permanent (100), anything
    /// else temporary (111); the line is `prog: fatal: ` and the report's text.
    pub fn queue(prog: &str, report: &str) -> Fatal {
        let code = if report.starts_with('D') { 100 } else { 111 };
        Fatal::die(code, prog, report.get(1..).unwrap_or_default())
    }

    /// Print the line (if any) on fd 2 (or fd 1) and give the exit code.
    pub fn report(&self) -> u8 {
        if !self.line.is_empty() {
            let nl: &[u8] = if self.newline { b"\n" } else { b"" };
            let line = [&self.line[..], nl].concat();
            let _ = if self.on_stdout {
                let mut out = io::stdout().lock();
                out.write_all(&line).and_then(|()| out.flush())
            } else {
                let mut err = io::stderr().lock();
                err.write_all(&line).and_then(|()| err.flush())
            };
        }
        self.code
    }
}

/// What a program's `run` may return: an exit code, or a `Result` of one (or of `()`, 0)
/// and a fatal error.
pub trait Outcome {
    /// Report what needs reporting; the exit code.
    fn finish(self) -> u8;
}

impl Outcome for u8 {
    fn finish(self) -> u8 {
        self
    }
}

impl Outcome for Fatal {
    fn finish(self) -> u8 {
        self.report()
    }
}

impl<E: Into<Fatal>> Outcome for Result<(), E> {
    fn finish(self) -> u8 {
        match self {
            Ok(()) => 0,
            Err(e) => e.into().report(),
        }
    }
}

impl<E: Into<Fatal>> Outcome for Result<u8, E> {
    fn finish(self) -> u8 {
        match self {
            Ok(code) => code,
            Err(e) => e.into().report(),
        }
    }
}

/// The end of every `main`: report, then exit with the code.
pub fn exit(outcome: impl Outcome) -> ! {
    let code = outcome.finish();
    std::process::exit(i32::from(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(Fatal::die(111, "forward", "x").line, b"forward: fatal: x");
        let e = io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(
            Fatal::sys(111, "p", "unable to open f: ", &e).line,
            b"p: fatal: unable to open f: file does not exist"
        );
        assert_eq!(Fatal::queue("p", "Dno"), Fatal::new(100, "p: fatal: no"));
        assert_eq!(
            Fatal::queue("p", "Zlater"),
            Fatal::new(111, "p: fatal: later")
        );
        assert_eq!(Fatal::queue("p", ""), Fatal::new(111, "p: fatal: "));
    }

    #[test]
    fn outcomes() {
        assert_eq!(7u8.finish(), 7);
        assert_eq!(Ok::<(), Fatal>(()).finish(), 0);
        assert_eq!(Ok::<u8, Fatal>(3).finish(), 3);
        assert_eq!(Err::<(), Fatal>(Fatal::quiet(100)).finish(), 100);
    }
}
