//! forward ADDRESS...: queue DTLINE + the message (from fd 0's current offset) with the
//! envelope sender NEWSENDER to every ADDRESS (forward(1)). Run from a `.qmail` file,
//! where qmail-local has set both variables.
#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;

use qmail_core::fatal::Fatal;
use qmail_core::qmail::Qmail;

const PROG: &str = "forward";

fn var(name: &str) -> Result<OsString, Fatal> {
    std::env::var_os(name).ok_or_else(|| Fatal::die(100, PROG, format!("{name} not set")))
}

pub fn run() -> Result<u8, Fatal> {
    let sender = var("NEWSENDER")?;
    let dtline = var("DTLINE")?;
    let mut qq = Qmail::open().map_err(|e| Fatal::sys(111, PROG, "unable to fork: ", &e))?;
    qq.put(dtline.as_bytes());
    // Copy fd 0 into the queue; a read error cancels the submission.
    if let Err(e) = qq.put_reader(&mut io::stdin().lock()) {
        qq.fail();
        let _ = qq.close();
        return Err(Fatal::sys(111, PROG, "unable to read message: ", &e));
    }
    let qp = qq.qp();
    qq.from(sender.as_bytes());
    for addr in std::env::args_os().skip(1) {
        qq.to(addr.as_bytes());
    }
    qq.close().map_err(|r| Fatal::queue(PROG, &r))?;
    let _ = writeln!(io::stderr().lock(), "forward: qp {qp}");
    Ok(0)
}
