//! Framing of the spawn reports as qmail-send reads them from qmail-lspawn and qmail-rspawn: bytes accumulate until a NUL ends a report of
//! at least two bytes (delnum may itself be NUL); a report is kept to REPORTMAX bytes
//! because qmail-rspawn's output is not trusted to be short.

pub const REPORTMAX: usize = 10000;

#[derive(Default)]
pub struct ReportBuf {
    line: Vec<u8>,
}

impl ReportBuf {
    /// Feed bytes read from the spawn; returns the reports completed by them.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut done = Vec::new();
        for &b in bytes {
            if self.line.len() < REPORTMAX {
                self.line.push(b);
            }
            if b == 0 && self.line.len() > 1 {
                done.push(std::mem::take(&mut self.line));
            }
        }
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing() {
        let mut r = ReportBuf::default();
        assert!(
            r.feed(b"\0").is_empty(),
            "a NUL delnum alone is not a report"
        );
        assert_eq!(r.feed(b"Kok\0\x01Zno"), [b"\0Kok\0".to_vec()]);
        assert_eq!(r.feed(b"\0"), [b"\x01Zno\0".to_vec()]);
        let big = [&[2u8, b'D'][..], &vec![b'x'; 20000], b"\0"].concat();
        let out = r.feed(&big);
        assert_eq!(out.len(), 1);
        assert_eq!(out.first().map(Vec::len), Some(REPORTMAX));
    }
}
