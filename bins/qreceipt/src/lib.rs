//! qreceipt ADDRESS: if the message's header asks for a delivery notice to ADDRESS
//! (`Notice-Requested-Upon-Delivery-To:`), send SENDER a short success notice from the
//! empty sender (qreceipt(1)). Notices never go to an empty sender or to `#@[]`, so a
//! notice cannot cause another notice or a bounce loop.
#![forbid(unsafe_code)]

mod addrlist;
mod header;
mod notice;

use std::io;
use std::os::unix::ffi::OsStrExt;

use qmail_core::fatal::Fatal;
use qmail_core::qmail::Qmail;

use header::Field;

const PROG: &str = "qreceipt";
const USAGE: &str = "qreceipt: usage: qreceipt deliveryaddress";

fn usage() -> Fatal {
    Fatal::new(100, USAGE)
}

pub fn run() -> Result<u8, Fatal> {
    let target = std::env::args_os().nth(1).ok_or_else(usage)?;
    let sender = std::env::var_os("SENDER").ok_or_else(usage)?;
    let fields =
        header::read(&mut io::stdin().lock()).map_err(|_| Fatal::die(111, PROG, "read error"))?;
    let mut wanted = false;
    let mut message_id: Option<&[u8]> = None;
    for f in &fields {
        match header::known(f) {
            Some(Field::MessageId) => message_id = Some(f),
            Some(Field::NoticeRequested) => {
                let addrs = addrlist::addresses(header::value(f)).ok_or_else(|| {
                    let mut t = b"unable to parse this: ".to_vec();
                    // The field's own LF ends the line.
                    t.extend_from_slice(f.strip_suffix(b"\n").unwrap_or(f));
                    Fatal::die(100, PROG, t)
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
    let mut qq = Qmail::open().map_err(|_| Fatal::die(111, PROG, "unable to fork"))?;
    qq.put(&notice::text(sender, target.as_bytes(), message_id));
    qq.from(b"");
    qq.to(sender);
    match qq.close() {
        Ok(()) => Ok(0),
        Err(r) if r.starts_with('D') => Err(Fatal::die(100, PROG, "permanent qmail-queue error")),
        Err(_) => Err(Fatal::die(111, PROG, "temporary qmail-queue error")),
    }
}
