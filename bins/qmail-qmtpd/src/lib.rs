//! qmail-qmtpd: receive mail via QMTP (qmail-qmtpd(8)).
//!
//! A session is a stream of messages. Each is three netstrings: the message (its first
//! byte chooses LF or CRLF line ends), the sender, and a netstring of recipient
//! netstrings. Each recipient gets one answer netstring: the qmail-queue result for the
//! message, or why that recipient was refused. EOF between messages ends the session
//! (exit 0); a malformed netstring exits 100 with nothing queued; a resource problem 111.
#![forbid(unsafe_code)]

pub mod answer;
pub mod controls;
pub mod message;

use nix::sys::signal::Signal;
use qmail_core::date822::{date822, now};
use qmail_core::exit::QmtpExit;
use qmail_core::qmail::Qmail;
use qmail_netstring::Reader;
use qmail_smtp::received::received_with;

use answer::Refusal;
use controls::Controls;
use message::Body;
use qmail_net::client::Client;
use qmail_net::timeoutio::FOREVER;

/// Senders and recipients (with RELAYCLIENT appended) must be shorter than this.
pub const ADDR_LIMIT: u64 = 1000;
/// The whole session may last this long; then exit 111.
pub const SESSION_SECS: u32 = 3600;

pub fn run() -> u8 {
    if qmail_sys::sig::catch_exit(Signal::SIGALRM, QmtpExit::Resources.code()).is_err() {
        return QmtpExit::Resources.code();
    }
    qmail_sys::sig::alarm(SESSION_SECS);
    let Ok(ctl) = controls::load() else {
        return QmtpExit::Resources.code();
    };
    // No limit per read: the session alarm bounds the whole connection.
    let mut r = Reader::new(Client::new(FOREVER));
    loop {
        if let Err(f) = message(&ctl, &mut r) {
            // Answers for earlier messages are owed even when a later one is broken
            // (qmail dropped them when they were still in its buffer).
            let _ = r.get_mut().flush();
            return f.code();
        }
    }
}

/// Read one message, queue it, and queue the answers (written before the next read).
fn message(ctl: &Controls, r: &mut Reader<Client>) -> Result<(), QmtpExit> {
    let len = r.length()?;
    let len = len.checked_sub(1).ok_or(QmtpExit::Proto)?;
    let mut qq = Qmail::open().map_err(|_| QmtpExit::Resources)?;
    let qp = qq.qp();
    let mut body = Body::new(r.byte()?, len, ctl.databytes).ok_or(QmtpExit::Proto)?;
    qq.put(&received_with(&ctl.peer, None, "QMTP", &date822(now())));
    if body.over() {
        qq.fail();
    }
    let mut buf = Vec::new();
    r.copy(len, |chunk| {
        if body.over() {
            return;
        }
        buf.clear();
        body.feed(chunk, &mut buf);
        if body.over() {
            qq.fail();
        } else {
            qq.put(&buf);
        }
    })?;
    buf.clear();
    body.finish(&mut buf);
    if body.over() {
        qq.fail();
    } else {
        qq.put(&buf);
    }
    r.comma()?;

    let n = r.length()?;
    let sender = r.payload(n, limit_usize())?;
    let sender_ok = matches!(&sender, Some(s) if !s.contains(&0));
    match &sender {
        Some(s) if sender_ok => qq.from(s),
        _ => qq.fail(),
    }

    let (refusals, bother) = recipients(ctl, r, &mut qq)?;
    if !bother {
        qq.fail();
    }
    let mut result = match qq.close() {
        Ok(()) => answer::ok(now(), qp),
        Err(text) => text.into_bytes(),
    };
    if !sender_ok {
        result = answer::BAD_SENDER.to_vec();
    }
    if ctl.databytes > 0 && body.over() {
        result = answer::TOO_BIG.to_vec();
    }
    let net = r.get_mut();
    for refusal in refusals {
        match refusal {
            Some(why) => net.put(&qmail_netstring::encode(why.text())),
            None => net.put(&qmail_netstring::encode(&result)),
        }
    }
    Ok(())
}

fn limit_usize() -> usize {
    usize::try_from(ADDR_LIMIT).unwrap_or(usize::MAX)
}

/// The recipient list: each recipient is queued or refused; `(refusals, any queued)`.
fn recipients(
    ctl: &Controls,
    r: &mut Reader<Client>,
    qq: &mut Qmail,
) -> Result<(Vec<Option<Refusal>>, bool), QmtpExit> {
    let big = r.length()?;
    r.set_budget(Some(big));
    let relaylen = ctl
        .relayclient
        .as_ref()
        .map_or(0, |rc| u64::try_from(rc.len()).unwrap_or(u64::MAX));
    let mut refusals = Vec::new();
    let mut bother = false;
    while r.budget().is_some_and(|b| b > 0) {
        let n = r.length()?;
        // The recipient and its comma must fit in what is left of the list.
        if n >= r.budget().unwrap_or(0) {
            return Err(QmtpExit::Proto);
        }
        let refusal = if n.saturating_add(relaylen) >= ADDR_LIMIT {
            r.copy(n, |_| {})?;
            r.comma()?;
            Some(Refusal::Long)
        } else {
            let mut addr = r.payload(n, limit_usize())?.unwrap_or_default();
            let mut refusal = addr.contains(&0).then_some(Refusal::Nul);
            match &ctl.relayclient {
                Some(rc) => addr.extend_from_slice(rc),
                None => match ctl.rcpthosts.allowed(&addr) {
                    Ok(true) => {}
                    Ok(false) => refusal = Some(Refusal::Domain),
                    Err(_) => return Err(QmtpExit::Resources),
                },
            }
            if refusal.is_none() {
                qq.to(&addr);
                bother = true;
            }
            refusal
        };
        refusals.push(refusal);
    }
    r.set_budget(None);
    r.comma()?;
    Ok((refusals, bother))
}
