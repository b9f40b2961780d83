//! The SMTP session: client bytes in, [`Action`]s out (qmail-smtpd's command loop and
//! smtp_* functions).
//!
//! The program carries out the actions in order. Two of them need an answer before the
//! session can go on: [`Action::QueueOpen`] (answer with [`Session::on_queue_open`]) and
//! [`Action::QueueClose`] (answer with [`Session::on_queue_close`]). Input that arrives
//! meanwhile (pipelining) is kept and handled after the answer.
use crate::addr::LocalIpHost;
use crate::badmailfrom::Badmailfrom;
use crate::blast::{Blast, Step};
use crate::rcptcheck::RcptCheck;
use crate::rcpthosts::RcptHosts;
use crate::received::{received, Peer};
use crate::reply;

/// The longest command line, in bytes before its LF. The longest address qmail-smtpd takes
/// (addr::ADDR_MAX) and the keywords fit with room to spare. A longer line is read to its
/// LF and thrown away, then answered with 500: the client's bytes never pile up.
pub const LINE_MAX: usize = 2048;

/// The most recipients one message can have, and the most bytes their addresses can
/// take together; an RCPT beyond either gets a temporary 452, and the client sends it
/// again in another transaction (RFC 5321 §4.5.3.1.8 asks for at least 100). 1000
/// addresses of 512 bytes each fit.
pub const RCPT_MAX: usize = 1000;
pub const RCPT_BYTES_MAX: usize = 512 * 1024;

/// Everything qmail-smtpd reads at startup (controls and environment).
#[derive(Debug, Default)]
pub struct Config {
    /// control/smtpgreeting (default control/me).
    pub greeting: Vec<u8>,
    /// control/localiphost (default me) and the local addresses; None if neither exists.
    pub localiphost: Option<LocalIpHost>,
    pub rcpthosts: RcptHosts,
    pub badmailfrom: Badmailfrom,
    /// control/databytes or $DATABYTES; 0 = no limit.
    pub databytes: u64,
    /// $RELAYCLIENT: appended to every recipient, and rcpthosts is not consulted.
    pub relayclient: Option<Vec<u8>>,
    pub peer: Peer,
    /// qmail-tlsd is in front ($TLSCTLFD): STARTTLS is offered while not encrypted.
    pub starttls: bool,
    /// The connection is encrypted from the start (implicit TLS): version and cipher.
    pub tls: Option<Vec<u8>>,
    /// qmail-smtpd was given a checkpassword program: AUTH can be offered.
    pub auth: bool,
    /// AUTH is offered without TLS too ($SMTPAUTHCLEAR).
    pub auth_clear: bool,
    /// Submission ($SUBMISSION): MAIL needs a successful AUTH first.
    pub submission: bool,
    /// control/rcptcheck: refuse local addresses qmail-local would bounce.
    pub rcptcheck: Option<RcptCheck>,
}

/// What checkpassword said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthResult {
    Ok,
    /// Wrong name or password (exit 1).
    Bad,
    /// Anything else: a temporary failure.
    Temp,
}

/// Where a multi-line AUTH exchange stands.
#[derive(Debug)]
enum AuthStep {
    Plain,
    LoginUser,
    LoginPass(Vec<u8>),
}

/// Failed AUTH attempts allowed per connection; the next one ends it.
pub const AUTH_FAILURES_MAX: u32 = 3;

/// One step for the program to carry out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Write these bytes to the client (buffer them; flush before the next read).
    Reply(Vec<u8>),
    /// Start qmail-queue, then call [`Session::on_queue_open`].
    QueueOpen,
    /// Message bytes for qmail-queue.
    QueuePut(Vec<u8>),
    /// The submission must not be queued (too many hops, over databytes).
    QueueFail,
    /// Write the envelope, close, wait; then call [`Session::on_queue_close`].
    QueueClose {
        sender: Vec<u8>,
        recipients: Vec<Vec<u8>>,
    },
    /// The connection is going away mid-message: make sure nothing is queued.
    QueueAbort,
    /// Flush the replies and tell qmail-tlsd to switch; then call [`Session::on_tls`].
    StartTls,
    /// Ask checkpassword; then call [`Session::on_auth`].
    CheckPassword { user: Vec<u8>, pass: Vec<u8> },
    /// Flush the replies and exit with this status (0 after QUIT, 1 otherwise).
    Exit(u8),
}

#[derive(Debug)]
enum Mode {
    Commands,
    WaitOpen,
    Data { blast: Blast, failed: bool },
    WaitClose { hops: bool, overflow: bool },
    WaitTls,
    WaitAuth,
    Done,
}

/// One client connection.
#[derive(Debug)]
pub struct Session {
    cfg: Config,
    mode: Mode,
    /// Client bytes not handled yet.
    input: Vec<u8>,
    /// How much of `input` is known to hold no LF (so a long line is scanned once).
    scanned: usize,
    /// The current command line went past LINE_MAX: bytes are dropped up to its LF.
    overlong: bool,
    seen_mail: bool,
    sender: Vec<u8>,
    /// The sender is in badmailfrom.
    barf: bool,
    /// MAIL gave SMTPUTF8: the addresses may be UTF-8.
    utf8: bool,
    recipients: Vec<Vec<u8>>,
    /// The bytes of the addresses in `recipients`.
    rcpt_bytes: usize,
    /// The HELO argument when it differs from the remote host name.
    fakehelo: Option<Vec<u8>>,
    qp: u32,
    /// Encrypted: the TLS version and cipher.
    tls: Option<Vec<u8>>,
    auth_step: Option<AuthStep>,
    /// The name checkpassword accepted.
    authenticated: Option<Vec<u8>>,
    /// The name being checked.
    auth_user: Vec<u8>,
    auth_failures: u32,
}

impl Session {
    pub fn new(cfg: Config) -> Session {
        Session {
            mode: Mode::Commands,
            input: Vec::new(),
            scanned: 0,
            overlong: false,
            seen_mail: false,
            sender: Vec::new(),
            barf: false,
            utf8: false,
            recipients: Vec::new(),
            rcpt_bytes: 0,
            fakehelo: None,
            qp: 0,
            tls: cfg.tls.clone(),
            auth_step: None,
            authenticated: None,
            auth_user: Vec::new(),
            auth_failures: 0,
            cfg,
        }
    }

    /// The greeting, sent once at connect.
    pub fn greet(&self) -> Vec<Action> {
        vec![Action::Reply(reply::greet(&self.cfg.greeting))]
    }

    /// Client bytes kept between calls (a command line not ended yet): at most
    /// [`LINE_MAX`] once the actions of the last call are answered.
    pub fn buffered(&self) -> usize {
        self.input.len()
    }

    /// The session has ended (an [`Action::Exit`] was returned).
    pub fn is_done(&self) -> bool {
        matches!(self.mode, Mode::Done)
    }

    /// Bytes from the client. The actions grow with the number of commands in `bytes`:
    /// a program bounds them by reading the client in small pieces.
    pub fn on_bytes(&mut self, bytes: &[u8]) -> Vec<Action> {
        let mut acts = Vec::new();
        if !self.is_done() {
            self.input.extend_from_slice(bytes);
            self.run(&mut acts);
        }
        acts
    }

    /// The client closed the connection or reading failed: exit 1 without a reply.
    pub fn on_eof(&mut self) -> Vec<Action> {
        let mut acts = Vec::new();
        if matches!(self.mode, Mode::Data { .. }) {
            acts.push(Action::QueueAbort);
        }
        self.end(&mut acts, 1);
        acts
    }

    /// No input for timeoutsmtpd seconds.
    pub fn on_timeout(&mut self) -> Vec<Action> {
        let mut acts = Vec::new();
        if matches!(self.mode, Mode::Data { .. }) {
            acts.push(Action::QueueAbort);
        }
        acts.push(Action::Reply(reply::TIMEOUT.to_vec()));
        self.end(&mut acts, 1);
        acts
    }

    /// qmail-queue started (its pid) or could not be started. `now`: unix time, for the
    /// Received line.
    pub fn on_queue_open(&mut self, qp: Option<u32>, now: i64) -> Vec<Action> {
        let mut acts = Vec::new();
        if !matches!(self.mode, Mode::WaitOpen) {
            return acts;
        }
        match qp {
            None => {
                acts.push(Action::Reply(reply::QQT.to_vec()));
                self.mode = Mode::Commands;
            }
            Some(qp) => {
                self.qp = qp;
                acts.push(Action::Reply(reply::GO_AHEAD.to_vec()));
                let date = qmail_core::date822::date822(now);
                // After AUTH the name stands where ident's would (TCPREMOTEINFO), as
                // the qmail SMTP AUTH patches write it: `(alice@192.0.2.7)`.
                let authpeer;
                let peer = match &self.authenticated {
                    None => &self.cfg.peer,
                    Some(user) => {
                        authpeer = Peer {
                            remoteinfo: Some(user.clone()),
                            ..self.cfg.peer.clone()
                        };
                        &authpeer
                    }
                };
                let line = received(
                    peer,
                    self.fakehelo.as_deref(),
                    self.tls.as_deref(),
                    self.utf8,
                    &date,
                );
                acts.push(Action::QueuePut(line));
                self.mode = Mode::Data {
                    blast: Blast::new(self.cfg.databytes),
                    failed: false,
                };
            }
        }
        self.run(&mut acts);
        acts
    }

    /// qmail-queue's result: Ok, or its report text (`D…` permanent, `Z…` temporary).
    /// `now`: unix time, for the acceptance reply.
    pub fn on_queue_close(&mut self, result: Result<(), &[u8]>, now: i64) -> Vec<Action> {
        let mut acts = Vec::new();
        let Mode::WaitClose { hops, overflow } = self.mode else {
            return acts;
        };
        let r = match result {
            Ok(()) => reply::accepted(now, self.qp),
            Err(_) if hops => reply::HOPS.to_vec(),
            Err(_) if overflow => reply::SIZE.to_vec(),
            Err(report) => reply::qq_failure(report),
        };
        acts.push(Action::Reply(r));
        self.mode = Mode::Commands;
        self.run(&mut acts);
        acts
    }

    /// qmail-tlsd's answer to [`Action::StartTls`]: TLS is on (version and cipher), or
    /// not available (the session goes on in clear text with a 454).
    pub fn on_tls(&mut self, tls: Option<Vec<u8>>) -> Vec<Action> {
        let mut acts = Vec::new();
        if !matches!(self.mode, Mode::WaitTls) {
            return acts;
        }
        self.mode = Mode::Commands;
        match tls {
            Some(desc) => {
                // RFC 3207 4.2: forget everything learnt in clear text, above all what
                // the client sent after STARTTLS before the handshake (CVE-2011-0411).
                self.input.clear();
                self.scanned = 0;
                self.seen_mail = false;
                self.fakehelo = None;
                self.auth_step = None;
                self.authenticated = None;
                self.tls = Some(desc);
            }
            None => acts.push(Action::Reply(reply::TLS_UNAVAILABLE.to_vec())),
        }
        self.run(&mut acts);
        acts
    }

    /// checkpassword's answer to [`Action::CheckPassword`].
    pub fn on_auth(&mut self, result: AuthResult) -> Vec<Action> {
        let mut acts = Vec::new();
        if !matches!(self.mode, Mode::WaitAuth) {
            return acts;
        }
        self.mode = Mode::Commands;
        let user = std::mem::take(&mut self.auth_user);
        match result {
            AuthResult::Ok => {
                self.authenticated = Some(user);
                acts.push(Action::Reply(reply::AUTH_OK.to_vec()));
            }
            AuthResult::Temp => acts.push(Action::Reply(reply::AUTH_TEMP.to_vec())),
            AuthResult::Bad => {
                self.auth_failures = self.auth_failures.saturating_add(1);
                if self.auth_failures >= AUTH_FAILURES_MAX {
                    acts.push(Action::Reply(reply::AUTH_TOO_MANY.to_vec()));
                    self.end(&mut acts, 1);
                    return acts;
                }
                acts.push(Action::Reply(reply::AUTH_FAILED.to_vec()));
            }
        }
        self.run(&mut acts);
        acts
    }

    /// The name a successful AUTH gave.
    pub fn authenticated(&self) -> Option<&[u8]> {
        self.authenticated.as_deref()
    }

    /// Encrypted: the TLS version and cipher.
    pub fn tls(&self) -> Option<&[u8]> {
        self.tls.as_deref()
    }

    fn end(&mut self, acts: &mut Vec<Action>, code: u8) {
        acts.push(Action::Exit(code));
        self.mode = Mode::Done;
        self.input = Vec::new();
    }

    /// Handle buffered input until it runs out or an answer is needed.
    fn run(&mut self, acts: &mut Vec<Action>) {
        let buf = std::mem::take(&mut self.input);
        let mut pos = 0usize;
        loop {
            let rest = buf.get(pos..).unwrap_or_default();
            match &mut self.mode {
                Mode::Commands => {
                    let from = self.scanned.min(rest.len());
                    let tail = rest.get(from..).unwrap_or_default();
                    let Some(i) = memchr::memchr(b'\n', tail) else {
                        if rest.len() > LINE_MAX || self.overlong {
                            self.overlong = true;
                            self.scanned = 0;
                            pos = buf.len();
                        } else {
                            self.scanned = rest.len();
                        }
                        break;
                    };
                    let end = from.saturating_add(i);
                    self.scanned = 0;
                    pos = pos.saturating_add(end).saturating_add(1);
                    if end > LINE_MAX || self.overlong {
                        self.overlong = false;
                        acts.push(Action::Reply(reply::LINE_TOO_LONG.to_vec()));
                    } else {
                        self.command(rest.get(..end).unwrap_or_default(), acts);
                    }
                }
                Mode::Data { blast, failed } => {
                    let mut out = Vec::new();
                    let (n, step) = blast.feed(rest, &mut out);
                    pos = pos.saturating_add(n);
                    if !out.is_empty() {
                        acts.push(Action::QueuePut(out));
                    }
                    if blast.overflowed() && !*failed {
                        *failed = true;
                        acts.push(Action::QueueFail);
                    }
                    match step {
                        Step::More => break,
                        Step::End => {
                            let hops = blast.too_many_hops();
                            let overflow = blast.overflowed();
                            if hops && !*failed {
                                acts.push(Action::QueueFail);
                            }
                            // Moved, not copied: the next message starts with MAIL,
                            // which clears them anyway.
                            acts.push(Action::QueueClose {
                                sender: self.sender.clone(),
                                recipients: std::mem::take(&mut self.recipients),
                            });
                            self.rcpt_bytes = 0;
                            self.mode = Mode::WaitClose { hops, overflow };
                        }
                        Step::StrayNewline => {
                            acts.push(Action::Reply(reply::STRAY_LF.to_vec()));
                            acts.push(Action::QueueAbort);
                            self.end(acts, 1);
                        }
                    }
                }
                Mode::WaitOpen | Mode::WaitClose { .. } | Mode::WaitTls | Mode::WaitAuth => break,
                Mode::Done => return,
            }
        }
        let mut buf = buf;
        buf.drain(..pos.min(buf.len()));
        self.input = buf;
    }
}

mod auth;
mod commands;
#[cfg(test)]
mod tests;
