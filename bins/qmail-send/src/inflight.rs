//! lock/inflight: the deliveries under way, so that a qmail-send started after a crash can
//! log each one that it will make again and that may therefore be a repeat. Lines
//! `S <chan> <msg> <offset>` when a delivery starts and `E …` when it reports, appended
//! without fsync (qmail-send dying leaves them in the page cache); the file is emptied
//! whenever nothing is under way, and rewritten when it grows large. Without the file
//! (a queue made before it existed) nothing is noted; qmail-qfix reports it missing.
use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::FileExt;

use crate::chan::Channel;
use crate::sched::MsgId;

pub const PATH: &str = "lock/inflight";
/// Rewrite the file from the deliveries under way once it is this long.
const COMPACT: u64 = 1 << 20;

type Key = (Channel, MsgId, u64);

pub struct Inflight {
    file: Option<File>,
    len: u64,
    open: BTreeSet<Key>,
}

fn chan_byte(c: Channel) -> char {
    match c {
        Channel::Local => 'L',
        Channel::Remote => 'R',
    }
}

/// The deliveries started and never ended in a journal's text.
pub fn unfinished(text: &[u8]) -> BTreeSet<Key> {
    let mut open = BTreeSet::new();
    for line in text.split(|&b| b == b'\n') {
        let Ok(line) = std::str::from_utf8(line) else {
            continue;
        };
        let f: Vec<&str> = line.split(' ').collect();
        let (Some(&kind), Some(&c), Some(id), Some(off)) = (
            f.first(),
            f.get(1),
            f.get(2).and_then(|s| s.parse().ok()),
            f.get(3).and_then(|s| s.parse().ok()),
        ) else {
            continue;
        };
        let chan = match c {
            "L" => Channel::Local,
            "R" => Channel::Remote,
            _ => continue,
        };
        match kind {
            "S" => {
                open.insert((chan, id, off));
            }
            "E" => {
                open.remove(&(chan, id, off));
            }
            _ => {}
        }
    }
    open
}

impl Inflight {
    /// Open the journal; the deliveries a qmail-send that died left under way.
    pub fn open() -> (Inflight, BTreeSet<Key>) {
        let file = OpenOptions::new().read(true).write(true).open(PATH).ok();
        let mut left = BTreeSet::new();
        if let Some(f) = file.as_ref() {
            let mut text = Vec::new();
            if f.take(COMPACT.saturating_mul(2))
                .read_to_end(&mut text)
                .is_ok()
            {
                left = unfinished(&text);
            }
            let _ = f.set_len(0);
        }
        let j = Inflight {
            file,
            len: 0,
            open: BTreeSet::new(),
        };
        (j, left)
    }

    fn append(&mut self, kind: char, k: Key) {
        let Some(f) = self.file.as_ref() else { return };
        let line = format!("{kind} {} {} {}\n", chan_byte(k.0), k.1, k.2);
        if f.write_all_at(line.as_bytes(), self.len).is_ok() {
            self.len = self.len.saturating_add(line.len() as u64);
        }
    }

    pub fn began(&mut self, chan: Channel, msg: MsgId, offset: u64) {
        if self.len >= COMPACT {
            self.rewrite();
        }
        self.open.insert((chan, msg, offset));
        self.append('S', (chan, msg, offset));
    }

    pub fn ended(&mut self, chan: Channel, msg: MsgId, offset: u64) {
        self.open.remove(&(chan, msg, offset));
        if self.open.is_empty() {
            if let Some(f) = self.file.as_ref() {
                if f.set_len(0).is_ok() {
                    self.len = 0;
                    return;
                }
            }
        }
        self.append('E', (chan, msg, offset));
    }

    fn rewrite(&mut self) {
        let Some(f) = self.file.as_ref() else { return };
        if f.set_len(0).is_err() {
            return;
        }
        self.len = 0;
        let open: Vec<Key> = self.open.iter().copied().collect();
        for k in open {
            self.append('S', k);
        }
    }
}

/// The recipient of the record at `offset` if it is still to do (`T`): a delivery of it
/// was under way when qmail-send died, so the next one may be a repeat.
pub fn still_todo(chan: Channel, msg: MsgId, offset: u64) -> Option<Vec<u8>> {
    let f = File::open(chan.path(msg)).ok()?;
    let mut buf = vec![0u8; 1100];
    let n = f.read_at(&mut buf, offset).ok()?;
    let rec = buf.get(..n)?;
    let end = rec.iter().position(|&b| b == 0)?;
    let rec = rec.get(..end)?;
    match rec.split_first() {
        Some((b'T', recip)) => Some(recip.to_vec()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfinished_deliveries() {
        let text = b"S L 5 0\nS R 5 0\nS L 6 10\nE L 5 0\nS L 7 3\nE L 6 10\nS L 8";
        let got: Vec<Key> = unfinished(text).into_iter().collect();
        assert_eq!(got, [(Channel::Local, 7, 3), (Channel::Remote, 5, 0)]);
        assert!(unfinished(b"").is_empty());
        assert!(unfinished(b"E L 1 2\nX\n\xff\xfe\nS Q 1 2\n").is_empty());
    }
}
