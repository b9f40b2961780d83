//! badmailfrom: envelope senders whose recipients are all refused (553 at RCPT time; MAIL
//! itself gets 250). A line is a whole address or `@domain`; matching is ASCII
//! case-insensitive. The empty sender never matches (list files have no empty lines).
use std::collections::HashSet;

#[derive(Clone, Debug, Default)]
pub struct Badmailfrom {
    entries: HashSet<Vec<u8>>,
}

impl Badmailfrom {
    /// The lines of `control/badmailfrom` (none when the file does not exist).
    pub fn new(lines: Vec<Vec<u8>>) -> Badmailfrom {
        let entries = lines
            .into_iter()
            .map(|mut l| {
                l.make_ascii_lowercase();
                l
            })
            .collect();
        Badmailfrom { entries }
    }

    /// Is `sender` listed, as itself or as `@domain` (from its last `@`)?
    pub fn matches(&self, sender: &[u8]) -> bool {
        if sender.is_empty() || self.entries.is_empty() {
            return false;
        }
        if self.entries.contains(&sender.to_ascii_lowercase()) {
            return true;
        }
        match memchr::memrchr(b'@', sender).and_then(|at| sender.get(at..)) {
            Some(domain) => self.entries.contains(&domain.to_ascii_lowercase()),
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries() {
        let b = Badmailfrom::new(vec![
            b"spammer@Evil.Example".to_vec(),
            b"@bad.example".to_vec(),
        ]);
        assert!(b.matches(b"spammer@evil.example"));
        assert!(b.matches(b"SPAMMER@EVIL.EXAMPLE"));
        assert!(!b.matches(b"other@evil.example"));
        assert!(b.matches(b"anyone@bad.example"));
        assert!(b.matches(b"x@y@BAD.example"));
        assert!(!b.matches(b"anyone@sub.bad.example"));
        assert!(!b.matches(b"bad.example"));
        assert!(!b.matches(b""));
        assert!(!Badmailfrom::default().matches(b"spammer@evil.example"));
    }
}
