//! preline [-fdrFDR] CMD [ARG...]: feed CMD the message with UFLINE (the mbox `From `
//! line), RPLINE (Return-Path) and DTLINE (Delivered-To) in front, as qmail-local would
//! write it to an mbox, and exit with CMD's exit code (preline(1)). `-f`, `-r`, `-d` leave
//! out one line each; the capitals put it back.
#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::process::{ChildStdin, Command, Stdio};

use qmail_core::exit::errno_is_temp;
pub use qmail_core::fatal::Fatal;

const FATAL: &str = "preline: fatal: ";
const USAGE: &str = "preline: usage: preline cmd [ arg ... ]";

use qmail_core::errstr::errstr;

/// `preline: fatal: text`.
fn fatal(code: u8, text: impl AsRef<str>) -> Fatal {
    Fatal::new(code, format!("{FATAL}{}", text.as_ref()))
}

fn usage() -> Fatal {
    Fatal::new(100, USAGE)
}

/// Which of the three lines go in front of the message.
#[derive(Debug, PartialEq, Eq)]
pub struct Lines {
    pub ufline: bool,
    pub rpline: bool,
    pub dtline: bool,
}

/// getopt-style options: clusters like `-fr`, `--` ends them, the first non-option is
/// the command. Returns the flags and the index of the command.
pub fn options(args: &[OsString]) -> Result<(Lines, usize), Fatal> {
    let mut l = Lines {
        ufline: true,
        rpline: true,
        dtline: true,
    };
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let a = a.as_bytes();
        if a == b"--" {
            i += 1;
            break;
        }
        let Some(flags) = a.strip_prefix(b"-").filter(|f| !f.is_empty()) else {
            break;
        };
        for f in flags {
            match f {
                b'f' => l.ufline = false,
                b'F' => l.ufline = true,
                b'r' => l.rpline = false,
                b'R' => l.rpline = true,
                b'd' => l.dtline = false,
                b'D' => l.dtline = true,
                _ => return Err(usage()),
            }
        }
        i += 1;
    }
    Ok((l, i))
}

fn feed(pipe: &mut ChildStdin, head: &[u8]) -> io::Result<()> {
    pipe.write_all(head)?;
    let mut stdin = io::stdin().lock();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match stdin.read(&mut buf) {
            Ok(0) => return pipe.flush(),
            Ok(n) => pipe.write_all(buf.get(..n).unwrap_or_default())?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

pub fn run() -> Result<u8, Fatal> {
    let ufline = std::env::var_os("UFLINE").ok_or_else(usage)?;
    let rpline = std::env::var_os("RPLINE").ok_or_else(usage)?;
    let dtline = std::env::var_os("DTLINE").ok_or_else(usage)?;
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let (lines, cmd) = options(&args)?;
    let Some((prog, rest)) = args.get(cmd..).and_then(|a| a.split_first()) else {
        return Err(usage());
    };
    let mut head = Vec::new();
    for (on, v) in [
        (lines.ufline, &ufline),
        (lines.rpline, &rpline),
        (lines.dtline, &dtline),
    ] {
        if on {
            head.extend_from_slice(v.as_bytes());
        }
    }
    let mut child = Command::new(prog)
        .args(rest)
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| {
            let code = if e.raw_os_error().is_some_and(errno_is_temp) {
                111
            } else {
                100
            };
            fatal(
                code,
                format!("unable to run {}: {}", prog.to_string_lossy(), errstr(&e)),
            )
        })?;
    if let Some(mut pipe) = child.stdin.take() {
        if let Err(e) = feed(&mut pipe, &head) {
            drop(pipe);
            let _ = child.wait();
            return Err(fatal(111, format!("unable to copy input: {}", errstr(&e))));
        }
    }
    let status = loop {
        match child.wait() {
            Ok(s) => break s,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(fatal(111, format!("wait failed: {}", errstr(&e)))),
        }
    };
    if status.signal().is_some() {
        return Err(fatal(111, "child crashed"));
    }
    Ok(status
        .code()
        .map_or(111, |c| u8::try_from(c).unwrap_or(111)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(a: &[&str]) -> Option<(Lines, usize)> {
        let a: Vec<OsString> = a.iter().map(OsString::from).collect();
        options(&a).ok()
    }

    #[test]
    fn option_parsing() {
        let all = |u, r, d| Lines {
            ufline: u,
            rpline: r,
            dtline: d,
        };
        assert_eq!(opts(&["cmd", "-f"]), Some((all(true, true, true), 0)));
        assert_eq!(opts(&["-f", "cmd"]), Some((all(false, true, true), 1)));
        assert_eq!(opts(&["-frd", "cmd"]), Some((all(false, false, false), 1)));
        assert_eq!(
            opts(&["-fF", "-r", "cmd"]),
            Some((all(true, false, true), 2))
        );
        assert_eq!(opts(&["-d", "--", "-f"]), Some((all(true, true, false), 2)));
        assert_eq!(opts(&["-", "x"]), Some((all(true, true, true), 0)));
        assert!(opts(&["-x", "cmd"]).is_none());
    }
}
