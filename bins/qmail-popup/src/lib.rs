//! qmail-popup: the authorization state of a POP3 session (qmail-popup(8)).
//!
//! It greets with a timestamp `<PID.TIME@hostname>`, takes USER and PASS (or APOP), and
//! hands the name, the password and the timestamp to a checkpassword program on its
//! descriptor 3. That program checks them, becomes the user and runs qmail-pop3d, which
//! serves the rest of the session on the same connection. qmail-popup itself always
//! exits 1.
#![forbid(unsafe_code)]

pub mod checkpassword;

use std::ffi::OsString;
use std::io::{BufReader, BufWriter, Stdout, Write};
use std::os::unix::ffi::OsStrExt;

use checkpassword::Outcome;
use qmail_net::timeoutio::Timed;
use qmail_pop3::commands::{getline, split};
use qmail_pop3::TIMEOUT_SECS;

/// Every way qmail-popup ends.
const EXIT: u8 = 1;

type Out = BufWriter<Timed<Stdout>>;

fn ok(out: &mut Out) -> bool {
    out.write_all(b"+OK \r\n")
        .and_then(|()| out.flush())
        .is_ok()
}

fn err(out: &mut Out, text: &str) -> bool {
    write!(out, "-ERR {text}\r\n")
        .and_then(|()| out.flush())
        .is_ok()
}

pub fn run() -> u8 {
    let args: Vec<OsString> = std::env::args_os().collect();
    let mut out = BufWriter::with_capacity(128, Timed::new(std::io::stdout(), TIMEOUT_SECS));
    let (Some(hostname), Some(prog)) = (args.get(1), args.get(2)) else {
        err(&mut out, "usage: popup hostname subprogram");
        return EXIT;
    };
    let child_args = args.get(3..).unwrap_or_default();
    let mut stamp = format!("<{}.{}@", std::process::id(), qmail_core::date822::now()).into_bytes();
    stamp.extend_from_slice(hostname.as_bytes());
    stamp.push(b'>');
    let greeting = [&b"+OK "[..], &stamp, b"\r\n"].concat();
    if out.write_all(&greeting).and_then(|()| out.flush()).is_err() {
        return EXIT;
    }

    // One byte per read: whatever follows PASS belongs to qmail-pop3d, which reads the
    // same descriptor after us, so nothing may sit in a buffer here.
    let mut input = BufReader::with_capacity(1, Timed::new(std::io::stdin(), TIMEOUT_SECS));
    let mut line = Vec::new();
    let mut user: Option<Vec<u8>> = None;
    while let Ok(true) = getline(&mut input, &mut line) {
        let c = split(&line);
        let alive = if c.is("user") {
            if c.arg.is_empty() {
                err(&mut out, "syntax error")
            } else {
                user = Some(c.arg.to_vec());
                ok(&mut out)
            }
        } else if c.is("pass") {
            match &user {
                None => err(&mut out, "USER first"),
                Some(_) if c.arg.is_empty() => err(&mut out, "syntax error"),
                Some(u) => return login(&mut out, prog, child_args, u, c.arg, &stamp),
            }
        } else if c.is("apop") {
            match memchr::memchr(b' ', c.arg) {
                None => err(&mut out, "syntax error"),
                Some(sp) => {
                    let name = c.arg.get(..sp).unwrap_or_default();
                    let digest = c.arg.get(sp.saturating_add(1)..).unwrap_or_default();
                    return login(&mut out, prog, child_args, name, digest, &stamp);
                }
            }
        } else if c.is("quit") {
            ok(&mut out);
            return EXIT;
        } else if c.is("noop") {
            ok(&mut out)
        } else {
            err(&mut out, "authorization first")
        };
        if !alive {
            break;
        }
    }
    line.fill(0);
    EXIT
}

/// Hand over to checkpassword; report what went wrong, if anything.
fn login(
    out: &mut Out,
    prog: &OsString,
    args: &[OsString],
    user: &[u8],
    pass: &[u8],
    stamp: &[u8],
) -> u8 {
    match checkpassword::check(prog, args, user, pass, stamp) {
        Outcome::Served | Outcome::Lost => {}
        Outcome::Crashed => {
            err(out, "aack, child crashed");
        }
        Outcome::Refused => {
            err(out, "authorization failed");
        }
        Outcome::Pipe => {
            err(out, "unable to open pipe");
        }
        Outcome::Write => {
            err(out, "unable to write pipe");
        }
        Outcome::Fork => {
            err(out, "unable to fork");
        }
    }
    EXIT
}
