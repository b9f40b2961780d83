//! qmail-qmqpd: receive mail via QMQP (qmail-qmqpd(8)).
//!
//! One request per connection: a netstring holding the message netstring, the sender
//! netstring and one netstring per recipient. The outer length bounds every read inside
//! it. The answer is one netstring, `K…`, `Z…` or `D…`. QMQP relays for anybody: it is
//! meant for trusted clients only (tcpserver's access rules), so no rcpthosts here.
#![forbid(unsafe_code)]

use nix::sys::signal::Signal;
use qmail_core::date822::{date822, now};
use qmail_core::exit::QmtpExit;
use qmail_core::{auto, qmail::Qmail};
use qmail_net::client::Client;
use qmail_net::timeoutio::FOREVER;
use qmail_netstring::{Error as NsError, Reader};
use qmail_smtp::received::{peer_from_env, received_with};

/// Addresses must be shorter than this, and may not contain NUL.
pub const ADDR_LIMIT: usize = 1000;
/// The outer length, with its colon, must fit in this many bytes.
pub const HEADER_MAX: u64 = 100;
/// The whole session may last this long; then exit 111.
pub const SESSION_SECS: u32 = 3600;
/// The answer when an address was refused.
pub const BAD_ADDRESS: &[u8] = b"Dsorry, I can't accept addresses like that (#5.1.3)";

pub fn run() -> u8 {
    if qmail_sys::sig::catch_exit(Signal::SIGALRM, QmtpExit::Resources.code()).is_err() {
        return QmtpExit::Resources.code();
    }
    qmail_sys::sig::alarm(SESSION_SECS);
    // No limit per read: the session alarm bounds the whole connection.
    let mut r = Reader::new(Client::new(FOREVER));
    match request(&mut r) {
        Ok(answer) => {
            r.get_mut().put(&qmail_netstring::encode(&answer));
            match r.get_mut().flush() {
                Ok(()) => 0,
                Err(_) => QmtpExit::Gone.code(),
            }
        }
        Err(f) => f.code(),
    }
}

/// An address netstring; None when it is too long or contains NUL.
fn address(r: &mut Reader<Client>) -> Result<Option<Vec<u8>>, NsError> {
    let n = r.length()?;
    Ok(r.payload(n, ADDR_LIMIT)?.filter(|a| !a.contains(&0)))
}

/// Read the request and queue it; the answer.
fn request(r: &mut Reader<Client>) -> Result<Vec<u8>, QmtpExit> {
    r.set_budget(Some(HEADER_MAX));
    let total = r.length()?;
    r.set_budget(Some(total));
    let len = r.length()?;
    std::env::set_current_dir(auto::QMAIL).map_err(|_| QmtpExit::Resources)?;
    let mut qq = Qmail::open().map_err(|_| QmtpExit::Resources)?;
    let qp = qq.qp();
    qq.put(&received_with(
        &peer_from_env(),
        None,
        "QMQP",
        &date822(now()),
    ));
    r.copy(len, |chunk| qq.put(chunk))?;
    r.comma()?;
    let mut ok = true;
    match address(r)? {
        Some(sender) => qq.from(&sender),
        None => {
            qq.fail();
            ok = false;
        }
    }
    while r.budget().is_some_and(|b| b > 0) {
        match address(r)? {
            Some(rcpt) => qq.to(&rcpt),
            None => {
                qq.fail();
                ok = false;
            }
        }
    }
    r.set_budget(Some(1));
    r.comma()?;
    let result = match qq.close() {
        Ok(()) => format!("Kok {} qp {qp}", now()).into_bytes(),
        Err(text) => text.into_bytes(),
    };
    Ok(if ok { result } else { BAD_ADDRESS.to_vec() })
}
