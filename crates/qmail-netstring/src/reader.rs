//! A buffered netstring reader over any `Read`, with an optional byte budget.
use std::io::{self, Read};

use crate::{push_digit, Error};

const BUF: usize = 8192;

pub struct Reader<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    /// Bytes that may still be consumed; `None` is unlimited. QMQP's outer netstring
    /// bounds everything inside it, QMTP's recipient list bounds each recipient.
    budget: Option<u64>,
}

impl<R: Read> Reader<R> {
    pub fn new(inner: R) -> Reader<R> {
        Reader {
            inner,
            buf: vec![0u8; BUF].into_boxed_slice(),
            pos: 0,
            end: 0,
            budget: None,
        }
    }

    pub fn set_budget(&mut self, budget: Option<u64>) {
        self.budget = budget;
    }

    pub fn budget(&self) -> Option<u64> {
        self.budget
    }

    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// Make sure at least one byte is buffered.
    fn fill(&mut self) -> Result<(), Error> {
        while self.pos >= self.end {
            match self.inner.read(&mut self.buf) {
                Ok(0) => return Err(Error::Eof),
                Ok(n) => {
                    self.pos = 0;
                    self.end = n.min(self.buf.len());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::Io(e)),
            }
        }
        Ok(())
    }

    /// How many of `want` bytes the budget allows; none left is a protocol error, checked
    /// before reading so that an overrun is refused without waiting for more input.
    fn allowed(&self, want: u64) -> Result<u64, Error> {
        match self.budget {
            Some(0) => Err(Error::Proto),
            Some(b) => Ok(want.min(b)),
            None => Ok(want),
        }
    }

    fn spend(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n).min(self.end);
        if let Some(b) = self.budget.as_mut() {
            *b = b.saturating_sub(u64::try_from(n).unwrap_or(u64::MAX));
        }
    }

    pub fn byte(&mut self) -> Result<u8, Error> {
        self.allowed(1)?;
        self.fill()?;
        let b = *self.buf.get(self.pos).ok_or(Error::Eof)?;
        self.spend(1);
        Ok(b)
    }

    /// Between 1 and `max` bytes (`max` ≥ 1), as many as are buffered.
    pub fn chunk(&mut self, max: u64) -> Result<&[u8], Error> {
        let max = self.allowed(max.max(1))?;
        self.fill()?;
        let avail = self.end.saturating_sub(self.pos);
        let n = usize::try_from(max).map_or(avail, |m| m.min(avail));
        let start = self.pos;
        self.spend(n);
        self.buf
            .get(start..start.saturating_add(n))
            .ok_or(Error::Eof)
    }

    /// A length and its `:`.
    pub fn length(&mut self) -> Result<u64, Error> {
        let mut len = 0u64;
        loop {
            let b = self.byte()?;
            if b == b':' {
                return Ok(len);
            }
            len = push_digit(len, b)?;
        }
    }

    /// The `,` that ends a netstring.
    pub fn comma(&mut self) -> Result<(), Error> {
        match self.byte()? {
            b',' => Ok(()),
            _ => Err(Error::Proto),
        }
    }

    /// Pass `n` bytes to `sink` in chunks, without holding them all.
    pub fn copy(&mut self, mut n: u64, mut sink: impl FnMut(&[u8])) -> Result<(), Error> {
        while n > 0 {
            let c = self.chunk(n)?;
            n = n.saturating_sub(u64::try_from(c.len()).unwrap_or(u64::MAX));
            sink(c);
        }
        Ok(())
    }

    /// `n` payload bytes and the comma, kept in memory only if `n < keep`; `None` when the
    /// payload was too long and has been skipped.
    pub fn payload(&mut self, n: u64, keep: usize) -> Result<Option<Vec<u8>>, Error> {
        let small = usize::try_from(n).ok().filter(|&n| n < keep);
        let mut out = small.map(Vec::with_capacity);
        self.copy(n, |c| {
            if let Some(v) = out.as_mut() {
                v.extend_from_slice(c);
            }
        })?;
        self.comma()?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out one byte per read, to exercise refilling.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((&b, rest)), Some(slot)) => {
                    *slot = b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn lengths_payloads_commas() {
        let mut r = Reader::new(Trickle(b"5:hello,2000:"));
        let n = r.length().unwrap();
        assert_eq!(n, 5);
        assert_eq!(r.payload(n, 1000).unwrap().unwrap(), b"hello");
        let n = r.length().unwrap();
        assert_eq!(n, 2000);
        assert!(matches!(r.payload(n, 1000), Err(Error::Eof)));
    }

    #[test]
    fn long_payload_is_skipped() {
        let data = format!("1000:{},0:,", "a".repeat(1000));
        let mut r = Reader::new(data.as_bytes());
        let n = r.length().unwrap();
        assert_eq!(r.payload(n, 1000).unwrap(), None);
        let n = r.length().unwrap();
        assert_eq!(r.payload(n, 1000).unwrap(), Some(vec![]));
        assert!(matches!(r.byte(), Err(Error::Eof)));
    }

    #[test]
    fn bad_bytes() {
        assert!(matches!(
            Reader::new(&b"x:junk"[..]).length(),
            Err(Error::Proto)
        ));
        let mut r = Reader::new(&b"3:abc;"[..]);
        let n = r.length().unwrap();
        assert!(matches!(r.payload(n, 10), Err(Error::Proto)));
        let mut r = Reader::new(&b"300000000000:"[..]);
        assert!(matches!(r.length(), Err(Error::TooLarge)));
    }

    #[test]
    fn budget_bounds_reads() {
        let mut r = Reader::new(&b"3:abc,4:defg,"[..]);
        r.set_budget(Some(9));
        let n = r.length().unwrap();
        assert_eq!(r.payload(n, 10).unwrap().unwrap(), b"abc");
        assert_eq!(r.budget(), Some(3));
        let n = r.length().unwrap();
        assert_eq!(n, 4);
        assert_eq!(r.budget(), Some(1));
        // The budget runs out inside the payload: refused, not read on.
        assert!(matches!(r.payload(n, 10), Err(Error::Proto)));
        let mut r = Reader::new(&b"12"[..]);
        r.set_budget(Some(0));
        assert!(matches!(r.byte(), Err(Error::Proto)));
    }

    #[test]
    fn copy_in_chunks() {
        let big = vec![b'z'; 3 * BUF + 17];
        let mut data = format!("{}:", big.len()).into_bytes();
        data.extend_from_slice(&big);
        data.push(b',');
        let mut r = Reader::new(&data[..]);
        let n = r.length().unwrap();
        let mut got = Vec::new();
        r.copy(n, |c| got.extend_from_slice(c)).unwrap();
        r.comma().unwrap();
        assert_eq!(got, big);
    }
}
