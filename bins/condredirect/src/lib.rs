//! condredirect NEWADDRESS PROGRAM [ARG...]: run PROGRAM on the message; if it exits 0,
//! queue DTLINE + the whole message (rewound) from SENDER to NEWADDRESS and exit 99 so
//! qmail-local skips the rest of the `.qmail` file (condredirect(1)). 111 from PROGRAM
//! defers the delivery; any other answer lets the `.qmail` file go on.
#![forbid(unsafe_code)]

use qmail_core::child;

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;

use qmail_core::exit::LocalExit;
pub use qmail_core::fatal::Fatal;
use qmail_core::qmail::Qmail;

use child::Status;

const PROG: &str = "condredirect";
const USAGE: &str = "condredirect: usage: condredirect newaddress program [ arg ... ]";

fn fatal(code: u8, text: impl AsRef<str>) -> Fatal {
    Fatal::die(code, PROG, text.as_ref())
}

fn sys(text: &str, e: &io::Error) -> Fatal {
    Fatal::sys(111, PROG, text, e)
}

fn var(name: &str) -> Result<OsString, Fatal> {
    std::env::var_os(name).ok_or_else(|| fatal(100, format!("{name} not set")))
}

/// The program has read fd 0; the shared offset goes back to the start of the message.
fn rewind() -> io::Result<File> {
    let mut f = File::from(io::stdin().as_fd().try_clone_to_owned()?);
    f.seek(SeekFrom::Start(0))?;
    Ok(f)
}

pub fn run() -> Result<u8, Fatal> {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let (Some(newaddr), Some(_)) = (args.first(), args.get(1)) else {
        return Err(Fatal::new(100, USAGE));
    };
    match child::run(args.get(1..).unwrap_or_default()) {
        Status::Crashed => return Err(fatal(111, "child crashed")),
        Status::Exited(0) => {}
        Status::Exited(111) => return Err(fatal(111, "temporary child error")),
        Status::Exited(_) => return Ok(LocalExit::Ok.code()),
    }
    let mut msg = rewind().map_err(|e| sys("unable to rewind: ", &e))?;
    let sender = var("SENDER")?;
    let dtline = var("DTLINE")?;
    let mut qq = Qmail::open().map_err(|e| sys("unable to fork: ", &e))?;
    qq.put(dtline.as_bytes());
    if let Err(e) = qq.put_reader(&mut msg) {
        qq.fail();
        let _ = qq.close();
        return Err(sys("unable to read message: ", &e));
    }
    let qp = qq.qp();
    qq.from(sender.as_bytes());
    qq.to(newaddr.as_bytes());
    qq.close().map_err(|r| Fatal::queue(PROG, &r))?;
    let _ = writeln!(io::stderr().lock(), "condredirect: qp {qp}");
    Ok(LocalExit::Stop.code())
}
