//! Forwarding: all forward addresses of a `.qmail` file go out together, after every other
//! line succeeded, as ONE qmail-queue submission of DTLINE + the message, from NEWSENDER.
use std::fs::File;

use qmail_core::qmail::Qmail;

use crate::die::{self, Fatal};

/// Queue the message for `recipients`; the qp of the submission on success.
pub fn send(
    msg: &File,
    dtline: &[u8],
    sender: &[u8],
    recipients: &[Vec<u8>],
) -> Result<u32, Fatal> {
    let mut qq = Qmail::open().map_err(|e| die::fork(&e))?;
    let qp = qq.qp();
    qq.put(dtline);
    let mut r = msg;
    if let Err(e) = qq.put_reader(&mut r) {
        qq.fail();
        let _ = qq.close();
        return Err(die::read_message(&e));
    }
    qq.from(sender);
    for r in recipients {
        qq.to(r);
    }
    qq.close().map_err(|report| die::forward(&report))?;
    Ok(qp)
}
