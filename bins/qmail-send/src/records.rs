//! Reading queue records into the scheduler's terms; the format itself is
//! `qmail_core::queue::records`.
use std::io::BufRead;

use qmail_core::queue::records::{self, ChanRead};

use crate::sched::Record;

/// The next record of a channel file being passed over.
pub fn next_record(r: &mut impl BufRead) -> Record {
    match records::read_chan(r) {
        Err(_) => Record::ReadError,
        Ok(ChanRead::Eof) => Record::Eof,
        Ok(ChanRead::Todo(recip)) => Record::Todo(recip),
        Ok(ChanRead::Done(n)) => Record::Done(n),
        Ok(ChanRead::Unknown(_)) => Record::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_records() {
        let mut r = std::io::Cursor::new(b"Ta@b\0Dxy\0Q\0Tcut".to_vec());
        assert_eq!(next_record(&mut r), Record::Todo(b"a@b".to_vec()));
        assert_eq!(next_record(&mut r), Record::Done(4));
        assert_eq!(next_record(&mut r), Record::Unknown);
        assert_eq!(next_record(&mut r), Record::Eof);
    }
}
