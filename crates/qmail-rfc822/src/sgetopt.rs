//! Option parsing as qmail's programs do it (sgetopt/subgetopt): options stop at the first
//! argument that does not start with `-`, at `-` alone (kept) and at `--…` (dropped);
//! letters may be grouped (`-ti`); an option argument is the rest of the word or the
//! next word. Problems are reported as `prog: illegal option -- x` or
//! `prog: option requires an argument -- x`, which name the flag.

/// One step of the option scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// An option letter and, for letters followed by `:` in the spec, its argument.
    Opt(u8, Option<Vec<u8>>),
    /// An unknown letter, or a missing argument.
    Bad { letter: u8, missing_arg: bool },
    /// No more options; `rest()` is what remains.
    Done,
}

/// The scanner over `args` (without the program name).
pub struct Getopt<'s> {
    args: Vec<Vec<u8>>,
    spec: &'s [u8],
    ind: usize,
    pos: usize,
}

impl<'s> Getopt<'s> {
    pub fn new(args: Vec<Vec<u8>>, spec: &'s [u8]) -> Getopt<'s> {
        Getopt {
            args,
            spec,
            ind: 0,
            pos: 0,
        }
    }

    fn cur(&self) -> Option<&[u8]> {
        self.args.get(self.ind).map(Vec::as_slice)
    }

    /// Does `letter` take an argument? None: not an option.
    fn takes_arg(&self, letter: u8) -> Option<bool> {
        let mut i = 0;
        while let Some(&c) = self.spec.get(i) {
            let arg = self.spec.get(i + 1) == Some(&b':');
            if c == letter && c != b':' {
                return Some(arg);
            }
            i += if arg { 2 } else { 1 };
        }
        None
    }

    pub fn step(&mut self) -> Next {
        let Some(word) = self.cur() else {
            return Next::Done;
        };
        if self.pos > 0 && word.get(self.pos).is_none() {
            self.ind += 1;
            self.pos = 0;
        }
        let Some(word) = self.cur().map(<[u8]>::to_vec) else {
            return Next::Done;
        };
        if self.pos == 0 {
            if word.first() != Some(&b'-') {
                return Next::Done;
            }
            match word.get(1) {
                None => return Next::Done,
                Some(b'-') => {
                    self.ind += 1;
                    return Next::Done;
                }
                Some(_) => self.pos = 1,
            }
        }
        let Some(&letter) = word.get(self.pos) else {
            return Next::Done;
        };
        self.pos += 1;
        match self.takes_arg(letter) {
            None => Next::Bad {
                letter,
                missing_arg: false,
            },
            Some(false) => Next::Opt(letter, None),
            Some(true) => {
                let attached = word.get(self.pos..).unwrap_or_default().to_vec();
                self.ind += 1;
                self.pos = 0;
                if !attached.is_empty() {
                    return Next::Opt(letter, Some(attached));
                }
                match self.cur().map(<[u8]>::to_vec) {
                    Some(a) => {
                        self.ind += 1;
                        Next::Opt(letter, Some(a))
                    }
                    None => Next::Bad {
                        letter,
                        missing_arg: true,
                    },
                }
            }
        }
    }

    /// Skip the rest of the current word (sendmail's `-E`/`-J` with an attached value).
    pub fn skip_word_rest(&mut self) {
        if let Some(w) = self.cur() {
            self.pos = w.len();
        }
    }

    /// The arguments after the options.
    pub fn rest(&self) -> &[Vec<u8>] {
        let start = if self.pos > 0 { self.ind + 1 } else { self.ind };
        self.args.get(start..).unwrap_or_default()
    }
}

/// The message for a `Bad` step: `prog: illegal option -- x\n`.
pub fn complaint(prog: &str, letter: u8, missing_arg: bool) -> Vec<u8> {
    let what = if missing_arg {
        ": option requires an argument -- "
    } else {
        ": illegal option -- "
    };
    let mut m = format!("{prog}{what}").into_bytes();
    m.push(letter);
    m.push(b'\n');
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(args: &[&str], spec: &str) -> (Vec<Next>, Vec<String>) {
        let v = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        let mut g = Getopt::new(v, spec.as_bytes());
        let mut out = Vec::new();
        loop {
            let n = g.step();
            if n == Next::Done {
                break;
            }
            let bad = matches!(n, Next::Bad { .. });
            out.push(n);
            if bad {
                break;
            }
        }
        let rest = g
            .rest()
            .iter()
            .map(|r| String::from_utf8(r.clone()).unwrap())
            .collect();
        (out, rest)
    }

    #[test]
    fn grouping_arguments_and_end() {
        let (o, r) = all(&["-ti", "-fjoe", "-F", "Joe X", "a", "-v"], "vitf:F:");
        assert_eq!(
            o,
            vec![
                Next::Opt(b't', None),
                Next::Opt(b'i', None),
                Next::Opt(b'f', Some(b"joe".to_vec())),
                Next::Opt(b'F', Some(b"Joe X".to_vec())),
            ]
        );
        assert_eq!(r, vec!["a", "-v"]);
        let (_, r) = all(&["-t", "--", "-x"], "t");
        assert_eq!(r, vec!["-x"]);
        let (_, r) = all(&["-", "x"], "t");
        assert_eq!(r, vec!["-", "x"]);
    }

    #[test]
    fn problems() {
        let (o, _) = all(&["-q"], "t");
        assert_eq!(
            o,
            vec![Next::Bad {
                letter: b'q',
                missing_arg: false
            }]
        );
        let (o, _) = all(&["-f"], "f:");
        assert_eq!(
            o,
            vec![Next::Bad {
                letter: b'f',
                missing_arg: true
            }]
        );
        assert_eq!(
            complaint("sendmail", b'q', false),
            b"sendmail: illegal option -- q\n"
        );
    }

    #[test]
    fn skip_rest() {
        let v = vec![b"-Eabc".to_vec(), b"-t".to_vec(), b"r".to_vec()];
        let mut g = Getopt::new(v, b"Et");
        assert_eq!(g.step(), Next::Opt(b'E', None));
        g.skip_word_rest();
        assert_eq!(g.step(), Next::Opt(b't', None));
        assert_eq!(g.step(), Next::Done);
        assert_eq!(g.rest(), &[b"r".to_vec()]);
    }
}
