//! qreceipt ADDRESS: if the message's header asks for a delivery notice to ADDRESS
//! (`Notice-Requested-Upon-Delivery-To:`), send SENDER a short success notice from the
//! empty sender (qreceipt(1)). Notices never go to an empty sender or to `#@[]`, so a
//! notice cannot cause another notice or a bounce loop.
#![forbid(unsafe_code)]

mod addrlist;
mod header;
mod notice;

use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;

use qmail_core::qmail::Qmail;

use header::Field;

const FATAL: &str = "qreceipt: fatal: ";
const USAGE: &str = "qreceipt: usage: qreceipt deliveryaddress";

#[derive(Debug)]
pub struct Fatal {
    pub code: u8,
    pub line: Vec<u8>,
}

impl Fatal {
    fn new(code: u8, text: &[u8]) -> Fatal {
        let mut line = FATAL.as_bytes().to_vec();
        line.extend_from_slice(text);
        Fatal { code, line }
    }

    fn usage() -> Fatal {
        Fatal {
            code: 100,
            line: USAGE.as_bytes().to_vec(),
        }
    }

    pub fn report(&self) -> u8 {
        let mut err = io::stderr().lock();
        let _ = err.write_all(&self.line);
        if !self.line.ends_with(b"\n") {
            let _ = err.write_all(b"\n");
        }
        let _ = err.flush();
        self.code
    }
}

pub fn run() -> Result<u8, Fatal> {
    let target = std::env::args_os().nth(1).ok_or_else(Fatal::usage)?;
    let sender = std::env::var_os("SENDER").ok_or_else(Fatal::usage)?;
    let fields =
        header::read(&mut io::stdin().lock()).map_err(|_| Fatal::new(111, b"read error"))?;
    let mut wanted = false;
    let mut message_id: Option<&[u8]> = None;
    for f in &fields {
        match header::known(f) {
            Some(Field::MessageId) => message_id = Some(f),
            Some(Field::NoticeRequested) => {
                let addrs = addrlist::addresses(header::value(f)).ok_or_else(|| {
                    let mut t = b"unable to parse this: ".to_vec();
                    t.extend_from_slice(f);
                    Fatal::new(100, &t)
                })?;
                wanted |= addrs.iter().any(|a| a.as_slice() == target.as_bytes());
            }
            None => {}
        }
    }
    let sender = sender.as_bytes();
    if !wanted || sender.is_empty() || sender == b"#@[]" {
        return Ok(0);
    }
    let mut qq = Qmail::open().map_err(|_| Fatal::new(111, b"unable to fork"))?;
    qq.put(&notice::text(sender, target.as_bytes(), message_id));
    qq.from(b"");
    qq.to(sender);
    match qq.close() {
        Ok(()) => Ok(0),
        Err(r) if r.starts_with('D') => Err(Fatal::new(100, b"permanent qmail-queue error")),
        Err(_) => Err(Fatal::new(111, b"temporary qmail-queue error")),
    }
}
