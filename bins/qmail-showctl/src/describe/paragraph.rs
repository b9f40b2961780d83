//! The three paragraph shapes qmail-showctl prints for a control file: a number (`int`),
//! a single line (`str`) and a list (`lst`), each with its `(Default.) ` and `Oops!` forms.
use std::io::Write;
use std::path::Path;

use qmail_core::control::{self, ControlError};

/// What a paragraph says when its file exists but cannot be read.
const OOPS: &[u8] = b"Oops! Trouble reading this file.\n";

/// Bytes outside 32..126 become `?`.
fn safe(b: &[u8]) -> Vec<u8> {
    b.iter()
        .map(|&c| if (32..=126).contains(&c) { c } else { b'?' })
        .collect()
}

/// The control directory being described, qmail's `me` for defaults, and the output.
pub(super) struct Ctl<'a, W: Write> {
    pub(super) dir: &'a Path,
    pub(super) me: Option<Vec<u8>>,
    pub(super) out: &'a mut W,
}

impl<W: Write> Ctl<'_, W> {
    fn read(&self, name: &str) -> Result<Option<Vec<u8>>, ControlError> {
        control::readbytes(self.dir.join(name))
    }

    fn start(&mut self, name: &str) {
        let _ = write!(self.out, "\n{name}: ");
    }

    pub(super) fn int(&mut self, name: &str, def: &str, pre: &str, post: &str) {
        self.start(name);
        let line = match self.read(name) {
            Ok(data) => data.map(|d| control::first_line(&d).to_vec()),
            Err(_) => {
                let _ = self.out.write_all(OOPS);
                return;
            }
        };
        match line.as_deref().and_then(scan_int) {
            Some(i) => {
                let _ = writeln!(self.out, "{pre}{i}{post}.");
            }
            None => {
                let _ = writeln!(self.out, "(Default.) {pre}{def}{post}.");
            }
        }
    }

    pub(super) fn str(&mut self, name: &str, flagme: bool, def: &str, pre: &str) {
        self.start(name);
        let value = match self.read(name) {
            Ok(Some(d)) => control::first_line(&d).to_vec(),
            Ok(None) => {
                let _ = self.out.write_all(b"(Default.) ");
                match (&self.me, flagme) {
                    (Some(me), true) => me.clone(),
                    _ => def.as_bytes().to_vec(),
                }
            }
            Err(_) => {
                let _ = self.out.write_all(OOPS);
                return;
            }
        };
        let _ = self.out.write_all(pre.as_bytes());
        let _ = self.out.write_all(&safe(&value));
        let _ = self.out.write_all(b".\n");
    }

    /// -1 unreadable, 0 absent, 1 present (the caller branches on "not absent").
    pub(super) fn lst(&mut self, name: &str, def: &str, pre: &str, post: &str) -> i8 {
        self.start(name);
        match self.read(name) {
            Ok(None) => {
                let _ = writeln!(self.out, "(Default.) {def}");
                0
            }
            Ok(Some(d)) => {
                let _ = self.out.write_all(b"\n");
                for l in control::list_lines(&d) {
                    let _ = self.out.write_all(pre.as_bytes());
                    let _ = self.out.write_all(&safe(&l));
                    let _ = self.out.write_all(post.as_bytes());
                    let _ = self.out.write_all(b"\n");
                }
                1
            }
            Err(_) => {
                let _ = self.out.write_all(OOPS);
                -1
            }
        }
    }
}

/// qmail's control_readint: an unsigned decimal prefix stored into a C int, negative
/// values shown as 0; no leading digit means the default.
fn scan_int(line: &[u8]) -> Option<u32> {
    let digits: Vec<u8> = line
        .iter()
        .copied()
        .take_while(u8::is_ascii_digit)
        .collect();
    if digits.is_empty() {
        return None;
    }
    let u = digits.iter().fold(0u64, |n, d| {
        n.wrapping_mul(10).wrapping_add(u64::from(d - b'0'))
    });
    // the low 32 bits, as a signed int
    let low = u32::try_from(u & 0xffff_ffff).unwrap_or(0);
    Some(if low > 0x7fff_ffff { 0 } else { low })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_like_control_readint() {
        assert_eq!(scan_int(b"20"), Some(20));
        assert_eq!(scan_int(b"7 bytes"), Some(7));
        assert_eq!(scan_int(b"x7"), None);
        assert_eq!(scan_int(b""), None);
        assert_eq!(scan_int(b"3000000000"), Some(0));
        assert_eq!(scan_int(b"4294967297"), Some(1));
    }

    #[test]
    fn unprintables() {
        assert_eq!(safe(b"a\tb\x7f\xffc~ "), b"a?b??c~ ".to_vec());
    }
}
