//! qmail-smtpd: the SMTP server, one process per connection with the socket on fds 0 and
//! 1 (qmail-smtpd(8)). The protocol decisions are made by `qmail_smtp::Session`; this
//! program reads the controls, moves bytes with timeouts and runs qmail-queue.
#![forbid(unsafe_code)]

mod checkpw;
mod client;
mod queue;
mod setup;
mod tls;

use std::mem::ManuallyDrop;

use client::{Client, Input};
use qmail_smtp::{reply, Session};

/// The whole program; returns the exit status (0 after QUIT, 1 otherwise). `args`:
/// `qmail-smtpd [ hostname checkpassword [ arg ... ] ]`, the form of the qmail SMTP AUTH
/// patch: with a checkpassword program, AUTH is offered (hostname is accepted and unused).
pub fn run(args: &[std::ffi::OsString]) -> u8 {
    let checkpassword: Vec<std::ffi::OsString> = args.get(2..).unwrap_or_default().to_vec();
    let mut client = Client::new(setup::DEFAULT_TIMEOUT);
    let mut cfg = match setup::load() {
        Ok((cfg, timeout)) => {
            client.set_timeout(timeout);
            cfg
        }
        Err(e) => {
            client.put(e.reply());
            let _ = client.flush();
            return 1;
        }
    };
    let mut engine = match tls::from_env() {
        Ok(e) => e,
        Err(()) => {
            client.put(reply::CONTROL);
            let _ = client.flush();
            return 1;
        }
    };
    if let Some(e) = engine.as_mut() {
        if e.implicit {
            // The greeting waits for the handshake; a failed one ends the connection.
            match e.implicit_start(client.timeout()) {
                Some(t) => cfg.tls = Some(t),
                None => return 1,
            }
        } else {
            cfg.starttls = true;
        }
    }
    cfg.auth = !checkpassword.is_empty();
    // The process ends with the session: what it holds is left to the exit, not freed
    // piece by piece (with musl's malloc, freeing returns pages with munmap calls).
    let mut session = ManuallyDrop::new(Session::new(cfg));
    let mut queue = ManuallyDrop::new(queue::Queue::new(engine, checkpassword));
    let mut client = ManuallyDrop::new(client);
    let greet = session.greet();
    if let Some(code) = queue.carry_out(&mut session, greet, &mut client) {
        return code;
    }
    loop {
        if client.flush().is_err() {
            return 1;
        }
        let acts = match client.read() {
            Input::Bytes(b) => session.on_bytes(b),
            Input::Timeout => session.on_timeout(),
            Input::Eof => session.on_eof(),
        };
        if let Some(code) = queue.carry_out(&mut session, acts, &mut client) {
            return code;
        }
        if session.is_done() {
            // Unreachable in practice: every end returns an Exit action.
            let _ = client.flush();
            return 1;
        }
    }
}

/// The reply for a failure before the greeting.
#[derive(Debug)]
pub enum StartError {
    Control,
    Ipme,
}

impl StartError {
    fn reply(&self) -> &'static [u8] {
        match self {
            StartError::Control => reply::CONTROL,
            StartError::Ipme => reply::IPME,
        }
    }
}
