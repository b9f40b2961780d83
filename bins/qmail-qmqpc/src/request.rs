//! What qmail-qmqpc sends and how it reads the answer. No I/O here.
use qmail_core::exit::QueueExit;
use qmail_core::text0::{Envelope, Text0Error};

/// The QMQP request: one netstring holding the message, the sender and each recipient as
/// netstrings. None if the lengths do not fit in memory.
pub fn build(message: &[u8], sender: &[u8], rcpts: &[&[u8]]) -> Option<Vec<u8>> {
    let mut inner = qmail_netstring::encode(message);
    inner.extend(qmail_netstring::encode(sender));
    for r in rcpts {
        inner.extend(qmail_netstring::encode(r));
    }
    let total = inner.len().checked_add(24)?;
    let mut out = Vec::new();
    out.try_reserve(total).ok()?;
    out.extend(qmail_netstring::encode(&inner));
    Some(out)
}

/// The envelope records (`F` first, then `T`s) as qmail-queue reads them on fd 1.
#[derive(Debug, Default)]
pub struct EnvelopeReader {
    env: Envelope,
    records: Vec<u8>,
}

impl EnvelopeReader {
    /// Feed bytes; true once the final NUL has been seen.
    pub fn push(&mut self, input: &[u8]) -> Result<bool, QueueExit> {
        self.env
            .push(input, &mut self.records)
            .map_err(|e| match e {
                Text0Error::Format => QueueExit::Envelope,
                Text0Error::TooLong => QueueExit::AddrTooLong,
            })?;
        Ok(self.env.is_done())
    }

    /// `(sender, recipients)` once done.
    pub fn finish(&self) -> Result<(&[u8], Vec<&[u8]>), QueueExit> {
        if !self.env.is_done() {
            return Err(QueueExit::Envelope);
        }
        let mut recs = self.records.split(|&b| b == 0);
        let sender = recs
            .next()
            .and_then(|r| r.strip_prefix(b"F"))
            .ok_or(QueueExit::Envelope)?;
        let rcpts = recs
            .filter(|r| !r.is_empty())
            .map(|r| r.strip_prefix(b"T").ok_or(QueueExit::Envelope))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((sender, rcpts))
    }
}

/// The server's verdict: its answer is a netstring whose payload starts with K, Z or D;
/// the first such byte decides (the length digits and colon are skipped).
pub fn verdict(answer: &[u8]) -> Option<Result<(), QueueExit>> {
    answer.iter().find_map(|&b| match b {
        b'K' => Some(Ok(())),
        b'Z' => Some(Err(QueueExit::TempRefused)),
        b'D' => Some(Err(QueueExit::PermRefused)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bytes() {
        assert_eq!(
            build(b"Subject: x\n\nhi\n", b"a@b", &[b"c@d", b""]).unwrap(),
            b"34:15:Subject: x\n\nhi\n,3:a@b,3:c@d,0:,,".to_vec()
        );
        assert_eq!(build(b"", b"", &[]).unwrap(), b"6:0:,0:,,".to_vec());
    }

    #[test]
    fn envelopes() {
        let mut e = EnvelopeReader::default();
        assert!(!e.push(b"Fs@x\0Ta").unwrap());
        assert!(e.push(b"@y\0Tb@z\0\0trailing").unwrap());
        let (s, r) = e.finish().unwrap();
        assert_eq!(s, b"s@x");
        assert_eq!(r, vec![&b"a@y"[..], b"b@z"]);

        let mut e = EnvelopeReader::default();
        assert!(e.push(b"F\0\0").unwrap());
        assert_eq!(e.finish().unwrap(), (&b""[..], vec![]));

        let mut e = EnvelopeReader::default();
        assert_eq!(e.push(b"Xs\0"), Err(QueueExit::Envelope));
        let mut e = EnvelopeReader::default();
        assert_eq!(e.push(b"Fs\0Ua\0"), Err(QueueExit::Envelope));
        let mut e = EnvelopeReader::default();
        e.push(b"Fs\0Ta\0").unwrap();
        assert_eq!(e.finish(), Err(QueueExit::Envelope));
        let mut e = EnvelopeReader::default();
        let long = [b"F".to_vec(), vec![b'a'; 1100]].concat();
        assert_eq!(e.push(&long), Err(QueueExit::AddrTooLong));
    }

    #[test]
    fn verdicts() {
        assert_eq!(verdict(b"22:Kok 1 qp 2,"), Some(Ok(())));
        assert_eq!(verdict(b"5:Zbusy,"), Some(Err(QueueExit::TempRefused)));
        assert_eq!(verdict(b"5:Dgone,"), Some(Err(QueueExit::PermRefused)));
        assert_eq!(verdict(b"12:"), None);
        assert_eq!(verdict(b""), None);
    }
}
