//! The AUTH command and its continuation lines (RFC 4954): PLAIN and LOGIN, checked by
//! checkpassword through [`Action::CheckPassword`].
use super::{Action, AuthStep, Mode, Session};
use crate::auth::{self, decode};
use crate::reply;

impl Session {
    /// AUTH is offered: a checkpassword program, and TLS or the site's leave.
    pub(super) fn auth_offered(&self) -> bool {
        self.cfg.auth && (self.tls.is_some() || self.cfg.auth_clear)
    }

    /// What qmail-queue's environment gains after a successful AUTH, as with the qmail
    /// SMTP AUTH patches (a signing filter behind QMAILQUEUE relies on it):
    /// `RELAYCLIENT` empty (unless tcprules set one already) and `TCPREMOTEINFO`, the
    /// name. Empty without AUTH.
    pub fn queue_env(&self) -> Vec<(&'static str, Vec<u8>)> {
        let Some(user) = &self.authenticated else {
            return Vec::new();
        };
        let mut v = Vec::with_capacity(2);
        if self.cfg.relayclient.is_none() {
            v.push(("RELAYCLIENT", Vec::new()));
        }
        v.push(("TCPREMOTEINFO", user.clone()));
        v
    }

    pub(super) fn auth_command(&mut self, arg: &[u8], acts: &mut Vec<Action>) {
        let r: &[u8] = if !self.cfg.auth {
            reply::UNIMPL
        } else if !self.auth_offered() {
            reply::AUTH_NEEDS_TLS
        } else if self.authenticated.is_some() {
            reply::AUTH_AGAIN
        } else if self.seen_mail {
            reply::AUTH_IN_MAIL
        } else {
            let mut words = arg.split(|&b| b == b' ').filter(|w| !w.is_empty());
            let mech = words.next().unwrap_or_default();
            let initial = words.next();
            if words.next().is_some() {
                reply::AUTH_MALFORMED
            } else if mech.eq_ignore_ascii_case(b"PLAIN") {
                match initial {
                    None => {
                        self.auth_step = Some(AuthStep::Plain);
                        auth::PLAIN_GO
                    }
                    Some(resp) => return self.plain(resp, acts),
                }
            } else if mech.eq_ignore_ascii_case(b"LOGIN") {
                match initial.map(decode) {
                    None => {
                        self.auth_step = Some(AuthStep::LoginUser);
                        auth::LOGIN_USER
                    }
                    Some(Some(user)) if !user.is_empty() => {
                        self.auth_step = Some(AuthStep::LoginPass(user));
                        auth::LOGIN_PASS
                    }
                    Some(_) => reply::AUTH_MALFORMED,
                }
            } else {
                reply::AUTH_TYPE
            }
        };
        acts.push(Action::Reply(r.to_vec()));
    }

    /// A line answering a 334 prompt.
    pub(super) fn auth_line(&mut self, step: AuthStep, line: &[u8], acts: &mut Vec<Action>) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line == b"*" {
            acts.push(Action::Reply(reply::AUTH_CANCELLED.to_vec()));
            return;
        }
        match step {
            AuthStep::Plain => self.plain(line, acts),
            AuthStep::LoginUser => match decode(line) {
                Some(user) if !user.is_empty() => {
                    self.auth_step = Some(AuthStep::LoginPass(user));
                    acts.push(Action::Reply(auth::LOGIN_PASS.to_vec()));
                }
                _ => acts.push(Action::Reply(reply::AUTH_MALFORMED.to_vec())),
            },
            AuthStep::LoginPass(user) => {
                match decode(line).and_then(|p| auth::credentials(&user, &p)) {
                    Some((user, pass)) => self.check(user, pass, acts),
                    None => acts.push(Action::Reply(reply::AUTH_MALFORMED.to_vec())),
                }
            }
        }
    }

    fn plain(&mut self, resp: &[u8], acts: &mut Vec<Action>) {
        match decode(resp).and_then(|r| auth::plain(&r)) {
            Some((user, pass)) => self.check(user, pass, acts),
            None => acts.push(Action::Reply(reply::AUTH_MALFORMED.to_vec())),
        }
    }

    fn check(&mut self, user: Vec<u8>, pass: Vec<u8>, acts: &mut Vec<Action>) {
        self.auth_user = user.clone();
        self.mode = Mode::WaitAuth;
        acts.push(Action::CheckPassword { user, pass });
    }
}
