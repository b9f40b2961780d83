//! forward ADDRESS...: queue DTLINE + the message (from fd 0's current offset) with the
//! envelope sender NEWSENDER to every ADDRESS (forward(1)). Run from a `.qmail` file,
//! where qmail-local has set both variables.
#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;

use qmail_core::qmail::Qmail;

const FATAL: &str = "forward: fatal: ";

/// Why forward stopped: the exit code and the text after `forward: fatal: `.
#[derive(Debug)]
pub struct Fatal {
    pub code: u8,
    pub text: String,
}

impl Fatal {
    fn new(code: u8, text: impl Into<String>) -> Fatal {
        Fatal {
            code,
            text: text.into(),
        }
    }

    fn sys(text: &str, e: &io::Error) -> Fatal {
        Fatal::new(111, format!("{text}{}", errstr(e)))
    }

    /// Print the message on fd 2 and give the exit code.
    pub fn report(&self) -> u8 {
        let _ = writeln!(io::stderr().lock(), "{FATAL}{}", self.text);
        self.code
    }
}

use qmail_core::errstr::errstr;

fn var(name: &str) -> Result<OsString, Fatal> {
    std::env::var_os(name).ok_or_else(|| Fatal::new(100, format!("{name} not set")))
}

/// A queue report's first byte says D (permanent → 100) or Z (temporary → 111).
fn qq_fatal(report: &str) -> Fatal {
    let code = if report.starts_with('D') { 100 } else { 111 };
    Fatal::new(code, report.get(1..).unwrap_or_default())
}

pub fn run() -> Result<u8, Fatal> {
    let sender = var("NEWSENDER")?;
    let dtline = var("DTLINE")?;
    let mut qq = Qmail::open().map_err(|e| Fatal::sys("unable to fork: ", &e))?;
    qq.put(dtline.as_bytes());
    // Copy fd 0 into the queue; a read error cancels the submission.
    if let Err(e) = qq.put_reader(&mut io::stdin().lock()) {
        qq.fail();
        let _ = qq.close();
        return Err(Fatal::sys("unable to read message: ", &e));
    }
    let qp = qq.qp();
    qq.from(sender.as_bytes());
    for addr in std::env::args_os().skip(1) {
        qq.to(addr.as_bytes());
    }
    qq.close().map_err(|r| qq_fatal(&r))?;
    let _ = writeln!(io::stderr().lock(), "forward: qp {qp}");
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_reports_map_to_exit_codes() {
        let f = qq_fatal("Dmail server permanently rejected message (#5.3.0)");
        assert_eq!(f.code, 100);
        assert_eq!(f.text, "mail server permanently rejected message (#5.3.0)");
        assert_eq!(qq_fatal("Zqq timeout (#4.3.0)").code, 111);
        assert_eq!(qq_fatal("").code, 111);
    }
}
