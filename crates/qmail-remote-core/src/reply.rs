//! Reading one SMTP reply the way qmail-remote does (RFC 5321 §4.2 as qmail reads it):
//! the code is the first three bytes of the first line, taken as ASCII digits by plain
//! arithmetic (so `2x0` is a large number, and anything that is not a digit makes a code
//! of 500 or more: permanent); a `-` in the fourth byte means another line follows; the
//! reply ends at the `\n` of a line without `-`. Every byte read except CR is kept for
//! the report, up to `TEXT_MAX` bytes.

/// Reply text kept for "Remote host said:" (qmail's HUGESMTPTEXT).
pub const TEXT_MAX: usize = 5000;
/// A reply longer than this is not a reply: a server streaming bytes without end would
/// otherwise hold qmail-remote forever (each read is within the timeout). qmail has no
/// such limit; no real server comes near it.
pub const REPLY_MAX: usize = 1024 * 1024;

/// One byte at a time from the server; an error is a dead connection (EOF, timeout,
/// read error), which the caller turns into "connection died".
pub trait GetByte {
    type Error;
    fn get(&mut self) -> Result<u8, Self::Error>;
    /// The error for a reply longer than `REPLY_MAX`.
    fn too_long(&mut self) -> Self::Error;
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The code with qmail's unsigned arithmetic (wrapping on non-digits).
    pub code: u64,
    /// All lines, CRs removed, at most `TEXT_MAX` bytes.
    pub text: Vec<u8>,
}

impl Reply {
    pub fn is_perm(&self) -> bool {
        self.code >= 500
    }
    pub fn is_temp(&self) -> bool {
        self.code >= 400 && self.code < 500
    }
}

fn digit(b: u8) -> u64 {
    // unsigned char minus '0', widened to unsigned long: negative values wrap.
    (i64::from(b) - i64::from(b'0')) as u64
}

pub fn read<S: GetByte>(src: &mut S) -> Result<Reply, S::Error> {
    let mut text = Vec::new();
    let mut total = 0usize;
    let mut get = |src: &mut S| -> Result<u8, S::Error> {
        total = total.saturating_add(1);
        if total > REPLY_MAX {
            return Err(src.too_long());
        }
        let b = src.get()?;
        if b != b'\r' && text.len() < TEXT_MAX {
            text.push(b);
        }
        Ok(b)
    };
    let mut code = digit(get(src)?);
    code = code.wrapping_mul(10).wrapping_add(digit(get(src)?));
    code = code.wrapping_mul(10).wrapping_add(digit(get(src)?));
    let mut b = get(src)?;
    while b == b'-' {
        while b != b'\n' {
            b = get(src)?;
        }
        // The next line's code is read and not looked at.
        for _ in 0..3 {
            get(src)?;
        }
        b = get(src)?;
    }
    while b != b'\n' {
        b = get(src)?;
    }
    Ok(Reply { code, text })
}

/// A byte source over a slice (tests and fuzzing).
pub struct SliceSource<'a> {
    pub data: &'a [u8],
    pub pos: usize,
}

impl GetByte for SliceSource<'_> {
    type Error = ();
    fn get(&mut self) -> Result<u8, ()> {
        let b = *self.data.get(self.pos).ok_or(())?;
        self.pos = self.pos.saturating_add(1);
        Ok(b)
    }
    fn too_long(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(data: &[u8]) -> Result<(Reply, usize), ()> {
        let mut s = SliceSource { data, pos: 0 };
        let r = read(&mut s)?;
        Ok((r, s.pos))
    }

    #[test]
    fn single_and_multi_line() {
        let (r, n) = one(b"250 ok\r\nnext").unwrap();
        assert_eq!((r.code, r.text.as_slice(), n), (250, &b"250 ok\n"[..], 8));
        let (r, _) = one(b"250-first\r\n250-second\r\n250 last\r\n").unwrap();
        assert_eq!(r.code, 250);
        assert_eq!(r.text, b"250-first\n250-second\n250 last\n");
        // The code comes from the first line only.
        let (r, _) = one(b"451-wait\r\n250 fine\r\n").unwrap();
        assert_eq!(r.code, 451);
        assert!(r.is_temp());
        // Bare LF ends lines too; NULs are kept (shown as ? by the report).
        let (r, _) = one(b"554 no\0pe\n").unwrap();
        assert_eq!(r.text, b"554 no\0pe\n");
        assert!(r.is_perm());
    }

    #[test]
    fn odd_codes() {
        assert_eq!(one(b"2x0 what\n").unwrap().0.code, 2 * 100 + 72 * 10);
        assert!(one(b"   \n").unwrap().0.code >= 500);
        assert!(one(b"/50 neg\n").unwrap().0.is_perm());
        // Three bytes and a newline as the fourth: the line ends there.
        assert_eq!(one(b"220\nx").unwrap().1, 4);
        assert_eq!(one(b"220").unwrap_err(), ());
        assert_eq!(one(b"220-cont\r\n").unwrap_err(), ());
        assert_eq!(one(b"").unwrap_err(), ());
    }

    #[test]
    fn text_is_capped() {
        let mut long = b"550 ".to_vec();
        long.extend(std::iter::repeat(b'x').take(10000));
        long.extend_from_slice(b"\r\n");
        let (r, n) = one(&long).unwrap();
        assert_eq!(r.text.len(), TEXT_MAX);
        assert_eq!(n, long.len());
        assert_eq!(r.code, 550);
        let mut endless = b"250-".to_vec();
        endless.extend(std::iter::repeat(b'x').take(REPLY_MAX));
        endless.extend_from_slice(b"\n250 ok\n");
        assert_eq!(one(&endless), Err(()));
    }
}
