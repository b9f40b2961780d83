//! The pipes between qmail-send and qmail-todo, its todo/ preprocessor.
//!
//! qmail-todo reports each message it has preprocessed (info and channel files written and
//! fsynced) as one line `C<id>\n`, where C names the channel files it wrote: `L` local,
//! `R` remote, `B` both, `N` neither. qmail-send then has qmail-clean remove todo/<id>,
//! puts the message on its queues if that worked, and answers `<id>\n`: qmail-todo may
//! look at that id again (it holds at most [`MAX_INFLIGHT`] unanswered). `H\n` from
//! qmail-send asks qmail-todo to reread control/locals and control/virtualdomains.
//! Lines are short; a longer one is a protocol error.

/// Reports qmail-todo may have outstanding: their lines fit a pipe's buffer many times
/// over, so neither side's write ever waits for the other.
pub const MAX_INFLIGHT: usize = 64;

/// The longest line either side writes (`B` and 20 digits and `\n`).
pub const MAX_LINE: usize = 22;

/// qmail-todo's report: which channel files todo/<id> became.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Done {
    pub id: u64,
    pub local: bool,
    pub remote: bool,
}

impl Done {
    pub fn encode(&self) -> Vec<u8> {
        let c = match (self.local, self.remote) {
            (true, true) => 'B',
            (true, false) => 'L',
            (false, true) => 'R',
            (false, false) => 'N',
        };
        format!("{c}{}\n", self.id).into_bytes()
    }

    /// One line without its `\n`.
    pub fn parse(line: &[u8]) -> Option<Done> {
        let (&c, digits) = line.split_first()?;
        let (local, remote) = match c {
            b'B' => (true, true),
            b'L' => (true, false),
            b'R' => (false, true),
            b'N' => (false, false),
            _ => return None,
        };
        Some(Done {
            id: parse_u64(digits)?,
            local,
            remote,
        })
    }
}

/// What qmail-send tells qmail-todo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmd {
    /// todo/<id> is dealt with (removed, or left for the next scan).
    Ack(u64),
    /// Reread locals and virtualdomains.
    Reread,
}

impl Cmd {
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Cmd::Ack(id) => format!("{id}\n").into_bytes(),
            Cmd::Reread => b"H\n".to_vec(),
        }
    }

    /// One line without its `\n`.
    pub fn parse(line: &[u8]) -> Option<Cmd> {
        if line == b"H" {
            return Some(Cmd::Reread);
        }
        parse_u64(line).map(Cmd::Ack)
    }
}

fn parse_u64(d: &[u8]) -> Option<u64> {
    if d.is_empty() || d.len() > 20 || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(d).ok()?.parse().ok()
}

/// Bytes read from a pipe, cut into lines.
#[derive(Default)]
pub struct Lines {
    buf: Vec<u8>,
}

impl Lines {
    /// Add what was read; returns the complete lines (without `\n`), or `None` once a
    /// line is longer than [`MAX_LINE`] (the peer is broken; stop listening to it).
    pub fn feed(&mut self, data: &[u8]) -> Option<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        for &b in data {
            if b == b'\n' {
                out.push(std::mem::take(&mut self.buf));
            } else {
                if self.buf.len() >= MAX_LINE {
                    return None;
                }
                self.buf.push(b);
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for (l, r) in [(true, true), (true, false), (false, true), (false, false)] {
            for id in [0, 1, 4711, u64::MAX] {
                let d = Done {
                    id,
                    local: l,
                    remote: r,
                };
                let e = d.encode();
                assert!(e.len() <= MAX_LINE + 1);
                assert_eq!(Done::parse(&e[..e.len() - 1]), Some(d));
            }
        }
        for c in [Cmd::Ack(0), Cmd::Ack(u64::MAX), Cmd::Reread] {
            let e = c.encode();
            assert_eq!(Cmd::parse(&e[..e.len() - 1]), Some(c));
        }
    }

    #[test]
    fn rejects() {
        for bad in [
            &b""[..],
            b"L",
            b"X12",
            b"L-1",
            b"L1 ",
            b"L18446744073709551616",
            b"B+5",
        ] {
            assert_eq!(Done::parse(bad), None, "{bad:?}");
        }
        for bad in [&b""[..], b"h", b"HH", b"1a", b"-1"] {
            assert_eq!(Cmd::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn lines_split_and_bound() {
        let mut l = Lines::default();
        assert_eq!(l.feed(b"L1\nR2"), Some(vec![b"L1".to_vec()]));
        assert_eq!(
            l.feed(b"3\nN4\n"),
            Some(vec![b"R23".to_vec(), b"N4".to_vec()])
        );
        assert_eq!(l.feed(&[b'1'; MAX_LINE]), Some(vec![]));
        assert_eq!(l.feed(b"1"), None);
    }

    #[test]
    fn pseudo_random_bytes_never_panic() {
        let mut s = 0x2545_f491_4f6c_dd1du64;
        let mut l = Lines::default();
        for _ in 0..20_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let n = (s % 12) as usize;
            let alphabet = b"LRBNH0123456789\n-";
            let data: Vec<u8> = (0..n)
                .map(|i| alphabet[((s >> (i * 5)) % alphabet.len() as u64) as usize])
                .collect();
            let _ = Done::parse(&data);
            let _ = Cmd::parse(&data);
            if l.feed(&data).is_none() {
                l = Lines::default();
            }
        }
    }
}
