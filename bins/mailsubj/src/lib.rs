//! mailsubj subject recip ...: send standard input as a message with the given subject
//! to the recipients, through qmail-inject (header recipients: `To:` lists them separated
//! by spaces, qmail-inject makes a list of them). Quoting is the caller's job.
#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::io::{self, Write};
use std::os::unix::ffi::OsStringExt;
use std::path::Path;
use std::process::{Command, Stdio};

use qmail_core::child::feed;
use qmail_core::fatal::Fatal;

/// The header mailsubj writes before its input.
pub fn header(subject: &[u8], recips: &[Vec<u8>]) -> Vec<u8> {
    let mut h = b"Subject: ".to_vec();
    h.extend_from_slice(subject);
    h.extend_from_slice(b"\nTo: ");
    h.extend_from_slice(&recips.join(&b' '));
    h.extend_from_slice(b"\n\n");
    h
}

pub fn run() -> Result<u8, Fatal> {
    let args: Vec<Vec<u8>> = std::env::args_os()
        .skip(1)
        .map(OsString::into_vec)
        .collect();
    let Some((subject, recips)) = args.split_first() else {
        return Err(Fatal::new(
            100,
            "mailsubj: usage: mailsubj subject recip ...",
        ));
    };
    let inject = Path::new(qmail_core::auto::QMAIL).join("bin/qmail-inject");
    let mut child = Command::new(&inject)
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| Fatal::sys(111, "mailsubj", "unable to run qmail-inject: ", &e))?;
    if let Some(mut pipe) = child.stdin.take() {
        if pipe.write_all(&header(subject, recips)).is_ok()
            && feed(&mut io::stdin().lock(), &mut pipe).is_err()
        {
            return Err(Fatal::die(111, "mailsubj", "read error"));
        }
    }
    let status = child
        .wait()
        .map_err(|e| Fatal::sys(111, "mailsubj", "unable to wait for qmail-inject: ", &e))?;
    Ok(status
        .code()
        .map_or(111, |c| u8::try_from(c).unwrap_or(111)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_text() {
        assert_eq!(
            header(b"hi there", &[b"a@x".to_vec(), b"b".to_vec()]),
            b"Subject: hi there\nTo: a@x b\n\n"
        );
        assert_eq!(header(b"", &[]), b"Subject: \nTo: \n\n");
    }
}
