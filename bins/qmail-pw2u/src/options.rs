//! `qmail-pw2u [-/ohHuUC] [-cCHAR]`
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

/// What to do about an account's home directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HomeCheck {
    /// `-o`: skip accounts whose home is missing or not theirs.
    Skip,
    /// `-h`: a missing home is fatal, a foreign one is skipped.
    Die,
    /// `-H`: no check.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub home: HomeCheck,
    pub allow_upper: bool,
    pub extensions: bool,
    pub brk: u8,
    pub dash: &'static [u8],
}

impl Default for Options {
    fn default() -> Options {
        Options {
            home: HomeCheck::Skip,
            allow_upper: false,
            extensions: true,
            brk: qmail_core::auto::BREAK
                .as_bytes()
                .first()
                .copied()
                .unwrap_or(b'-'),
            dash: b"-",
        }
    }
}

/// A bad option, named as getopt names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadOption {
    /// `illegal option -- x`
    Illegal(u8),
    /// `option requires an argument -- c`
    NeedsArgument(u8),
}

/// Options up to the first argument that is not one (getopt's rule: the rest is ignored,
/// as qmail's qmail-pw2u ignores it).
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Options, BadOption> {
    let mut o = Options::default();
    let mut it = args.into_iter().map(OsStringExt::into_vec);
    while let Some(arg) = it.next() {
        if arg == b"--" || arg.len() < 2 || arg.first() != Some(&b'-') {
            break;
        }
        let mut flags = arg.get(1..).unwrap_or(b"").iter();
        while let Some(&c) = flags.next() {
            match c {
                b'/' => o.dash = b"-/",
                b'o' => o.home = HomeCheck::Skip,
                b'h' => o.home = HomeCheck::Die,
                b'H' => o.home = HomeCheck::None,
                b'u' => o.allow_upper = true,
                b'U' => o.allow_upper = false,
                b'C' => o.extensions = false,
                b'c' => {
                    // -cX or -c X
                    let rest: Vec<u8> = flags.by_ref().copied().collect();
                    let val = if rest.is_empty() {
                        it.next()
                    } else {
                        Some(rest)
                    };
                    o.brk = *val
                        .as_deref()
                        .and_then(<[u8]>::first)
                        .ok_or(BadOption::NeedsArgument(b'c'))?;
                    o.extensions = true;
                }
                c => return Err(BadOption::Illegal(c)),
            }
        }
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &[&str]) -> Option<Options> {
        parse(v.iter().map(OsString::from)).ok()
    }

    #[test]
    fn flags() {
        assert_eq!(p(&[]), Some(Options::default()));
        let o = p(&["-/hu", "-c+"]).unwrap();
        assert_eq!(
            (o.dash, o.home, o.allow_upper, o.brk),
            (&b"-/"[..], HomeCheck::Die, true, b'+')
        );
        assert_eq!(p(&["-c", "."]).unwrap().brk, b'.');
        assert!(!p(&["-C"]).unwrap().extensions);
        assert_eq!(p(&["-H"]).unwrap().home, HomeCheck::None);
        let e = |v: &[&str]| parse(v.iter().map(OsString::from)).err();
        assert_eq!(e(&["-x"]), Some(BadOption::Illegal(b'x')));
        assert_eq!(e(&["-c"]), Some(BadOption::NeedsArgument(b'c')));
        assert_eq!(p(&["file", "-x"]), Some(Options::default()));
    }
}
