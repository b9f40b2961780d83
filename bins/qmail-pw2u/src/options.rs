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

/// None for a bad option (usage).
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Option<Options> {
    let mut o = Options::default();
    let mut it = args.into_iter().map(OsStringExt::into_vec);
    while let Some(arg) = it.next() {
        if arg == b"--" {
            break;
        }
        if arg.len() < 2 || arg.first() != Some(&b'-') {
            return None;
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
                    let val = if rest.is_empty() { it.next()? } else { rest };
                    o.brk = *val.first()?;
                    o.extensions = true;
                }
                _ => return None,
            }
        }
    }
    Some(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &[&str]) -> Option<Options> {
        parse(v.iter().map(OsString::from))
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
        assert_eq!(p(&["-x"]), None);
        assert_eq!(p(&["-c"]), None);
        assert_eq!(p(&["file"]), None);
    }
}
