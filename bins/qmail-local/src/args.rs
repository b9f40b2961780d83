//! `qmail-local [-nN] [--] user homedir local dash ext domain sender aliasempty`
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use crate::die::{self, Fatal};
use crate::env::Args;

/// The options and the eight arguments; `doit` is false with `-n` (only show what would
/// be done). Extra arguments after the eighth are ignored.
pub fn parse(argv: impl IntoIterator<Item = OsString>) -> Result<(bool, Args), Fatal> {
    let mut doit = true;
    let mut it = argv.into_iter().map(OsStringExt::into_vec).peekable();
    while let Some(arg) = it.peek() {
        if arg.len() < 2 || arg.first() != Some(&b'-') {
            break;
        }
        if arg == b"--" {
            it.next();
            break;
        }
        for &c in arg.get(1..).unwrap_or(b"") {
            match c {
                b'n' => doit = false,
                b'N' => doit = true,
                _ => return Err(die::usage()),
            }
        }
        it.next();
    }
    let mut next = || it.next().ok_or_else(die::usage);
    let a = Args {
        user: next()?,
        home: next()?,
        local: next()?,
        dash: next()?,
        ext: next()?,
        host: next()?,
        sender: next()?,
        default_delivery: next()?,
    };
    if a.home.first() != Some(&b'/') {
        return Err(die::usage());
    }
    Ok((doit, a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &[&str]) -> Result<(bool, Args), Fatal> {
        parse(v.iter().map(OsString::from))
    }

    #[test]
    fn options_and_arguments() {
        let (doit, a) = p(&["--", "u", "/h", "l", "-", "e", "d", "s", "./M"]).unwrap();
        assert!(doit);
        assert_eq!(a.user, b"u");
        assert_eq!(a.default_delivery, b"./M");
        let (doit, a) = p(&["-n", "u", "/h", "l", "", "", "d", "", "./M"]).unwrap();
        assert!(!doit);
        assert_eq!(a.dash, b"");
        assert!(
            p(&["-nN", "u", "/h", "l", "", "", "d", "", "./M"])
                .unwrap()
                .0
        );
        assert!(p(&["-x", "u", "/h", "l", "", "", "d", "", "./M"]).is_err());
        assert!(p(&["u", "/h", "l", "", "", "d", ""]).is_err());
        assert_eq!(
            p(&["u", "h", "l", "", "", "d", "", "x"]).unwrap_err(),
            die::usage()
        );
        // a local part starting with '-' after "--" is an argument
        assert_eq!(
            p(&["--", "-u", "/h", "l", "", "", "d", "", "x"])
                .unwrap()
                .1
                .user,
            b"-u"
        );
    }
}
