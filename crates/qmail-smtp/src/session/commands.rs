//! The smtp_* handlers: one command line in, replies and state changes out.
use super::{Action, Mode, Session};
use crate::addr::{addrparse, Charset};
use crate::command::{self, Verb};
use crate::reply;

impl Session {
    pub(super) fn command(&mut self, line: &[u8], acts: &mut Vec<Action>) {
        if let Some(step) = self.auth_step.take() {
            return self.auth_line(step, line, acts);
        }
        let cmd = command::parse(line);
        let r: Vec<u8> = match cmd.verb {
            Verb::Helo => {
                self.helo(cmd.arg);
                reply::helo(&self.cfg.greeting)
            }
            Verb::Ehlo => {
                self.helo(cmd.arg);
                // Bare qmail-smtpd answers EHLO byte for byte as qmail does; once the
                // list is extended (qmail-tlsd or AUTH), SMTPUTF8 (RFC 6531) and SIZE
                // (RFC 1870) join it.
                let extended = self.cfg.starttls || self.tls.is_some() || self.cfg.auth;
                let mut ext: Vec<&[u8]> = vec![b"PIPELINING", b"8BITMIME"];
                if extended {
                    ext.push(b"SMTPUTF8");
                }
                if self.cfg.starttls && self.tls.is_none() {
                    ext.push(b"STARTTLS");
                }
                if self.auth_offered() {
                    ext.push(crate::auth::MECHANISMS);
                }
                let size = match self.cfg.databytes {
                    0 => b"SIZE".to_vec(),
                    n => format!("SIZE {n}").into_bytes(),
                };
                if extended {
                    ext.push(&size);
                }
                reply::ehlo(&self.cfg.greeting, &ext)
            }
            Verb::Mail => self.mail(cmd.arg),
            Verb::Rcpt => match self.rcpt(cmd.arg) {
                Some(r) => r,
                None => {
                    acts.push(Action::Reply(reply::CONTROL.to_vec()));
                    self.end(acts, 1);
                    return;
                }
            },
            Verb::Data => {
                if !self.seen_mail {
                    reply::WANT_MAIL.to_vec()
                } else if self.recipients.is_empty() {
                    reply::WANT_RCPT.to_vec()
                } else {
                    self.seen_mail = false;
                    self.mode = Mode::WaitOpen;
                    acts.push(Action::QueueOpen);
                    return;
                }
            }
            Verb::Rset => {
                self.seen_mail = false;
                reply::FLUSHED.to_vec()
            }
            Verb::Noop => reply::OK.to_vec(),
            Verb::Vrfy => reply::VRFY.to_vec(),
            Verb::Help => reply::HELP.to_vec(),
            Verb::Quit => {
                acts.push(Action::Reply(reply::quit(&self.cfg.greeting)));
                self.end(acts, 0);
                return;
            }
            Verb::Starttls => {
                if !self.cfg.starttls && self.tls.is_none() {
                    reply::UNIMPL.to_vec()
                } else if self.tls.is_some() {
                    reply::TLS_ACTIVE.to_vec()
                } else if !cmd.arg.is_empty() {
                    reply::TLS_SYNTAX.to_vec()
                } else {
                    // The rest of the input waits for qmail-tlsd's answer; with TLS on it
                    // is dropped (on_tls).
                    self.mode = Mode::WaitTls;
                    acts.push(Action::StartTls);
                    return;
                }
            }
            Verb::Auth => return self.auth_command(cmd.arg, acts),
            Verb::Unknown => reply::UNIMPL.to_vec(),
        };
        acts.push(Action::Reply(r));
    }

    /// HELO and EHLO: a new transaction; remember the name for the Received line.
    fn helo(&mut self, arg: &[u8]) {
        self.seen_mail = false;
        self.fakehelo = if arg.eq_ignore_ascii_case(&self.cfg.peer.remotehost) {
            None
        } else {
            Some(arg.to_vec())
        };
    }

    fn mail(&mut self, arg: &[u8]) -> Vec<u8> {
        if self.cfg.submission && self.authenticated.is_none() {
            return reply::AUTH_REQUIRED.to_vec();
        }
        let Some(addr) = addrparse(arg, self.cfg.localiphost.as_ref()) else {
            return reply::SYNTAX.to_vec();
        };
        let utf8 = crate::addr::smtputf8_param(arg);
        if let Some(r) = refuse_charset(&addr, utf8) {
            return r.to_vec();
        }
        // RFC 1870: a declared size over databytes is refused now, not after the data.
        if let Some(size) = crate::addr::size_param(arg) {
            if self.cfg.databytes > 0 && size > self.cfg.databytes {
                return reply::SIZE.to_vec();
            }
        }
        self.barf = self.cfg.badmailfrom.matches(&addr);
        self.seen_mail = true;
        self.utf8 = utf8;
        self.recipients.clear();
        self.rcpt_bytes = 0;
        self.sender = addr;
        reply::OK.to_vec()
    }

    /// None: morercpthosts.cdb or the recipient database could not be read.
    fn rcpt(&mut self, arg: &[u8]) -> Option<Vec<u8>> {
        if !self.seen_mail {
            return Some(reply::WANT_MAIL.to_vec());
        }
        let Some(mut addr) = addrparse(arg, self.cfg.localiphost.as_ref()) else {
            return Some(reply::SYNTAX.to_vec());
        };
        if let Some(r) = refuse_charset(&addr, self.utf8) {
            return Some(r.to_vec());
        }
        if self.barf {
            return Some(reply::BMF.to_vec());
        }
        if let Some(rc) = &self.cfg.relayclient {
            addr.extend_from_slice(rc);
        } else if self.authenticated.is_some() {
            // A successful AUTH relays as RELAYCLIENT="" does.
        } else if !self.cfg.rcpthosts.allowed(&addr).ok()? {
            return Some(reply::NOGATEWAY.to_vec());
        } else if let Some(check) = &self.cfg.rcptcheck {
            if !check.deliverable(&addr).ok()? {
                return Some(reply::NOMAILBOX.to_vec());
            }
        }
        let bytes = self.rcpt_bytes.saturating_add(addr.len());
        if self.recipients.len() >= super::RCPT_MAX || bytes > super::RCPT_BYTES_MAX {
            return Some(reply::TOO_MANY_RCPTS.to_vec());
        }
        self.rcpt_bytes = bytes;
        self.recipients.push(addr);
        Some(reply::OK.to_vec())
    }
}

/// The reply refusing `addr` in a transaction with (`utf8`) or without SMTPUTF8, if
/// any: UTF-8 needs SMTPUTF8 (553, as RFC 6531 asks), and bytes that are not UTF-8 are
/// a syntax error either way.
fn refuse_charset(addr: &[u8], utf8: bool) -> Option<&'static [u8]> {
    match crate::addr::charset(addr) {
        Charset::Ascii => None,
        Charset::Utf8 if utf8 => None,
        Charset::Utf8 => Some(reply::NEEDS_SMTPUTF8),
        Charset::Invalid => Some(reply::SYNTAX),
    }
}
