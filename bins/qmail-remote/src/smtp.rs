//! The SMTP dialogue with one server: greeting exactly 220, `EHLO` answered exactly 250
//! (any other answer: `HELO`, answered exactly 250, and no extensions), `MAIL`, one `RCPT`
//! per recipient (any code below 400 accepts), `DATA`, the message, the final reply.
//! Every ending sends `QUIT` without waiting for the answer. Once connected, no other
//! server is tried.
use crate::conn::{Conn, Died, TlsDied};
use crate::tls::{self, ClientCert};
use qmail_dns::Tlsa;
use qmail_remote_core::auth::{self, Credentials};
use qmail_remote_core::blast::Blast;
use qmail_remote_core::ehlo::{self, Extensions};
use qmail_remote_core::reply::{self, Reply};
use qmail_remote_core::report::{self, quit, Report};
use qmail_remote_core::tlspolicy::Level;
use std::io::{self, Read};
use std::net::IpAddr;

/// Message bytes read from fd 0 per step.
const INBUF: usize = 64 * 1024;

pub struct Envelope<'a> {
    pub helohost: &'a [u8],
    pub sender: &'a [u8],
    pub recips: &'a [Vec<u8>],
    /// The message's size in bytes when fd 0 is a regular file (as under qmail-rspawn):
    /// sent as `SIZE=` and held against the server's declared limit.
    pub size: Option<u64>,
    /// Whether the message has 8-bit bytes (asked only of a server that offers
    /// 8BITMIME): `BODY=8BITMIME` on MAIL (RFC 6152).
    pub eight_bit: fn() -> bool,
}

impl Envelope<'_> {
    /// RFC 6531: an address with a byte beyond ASCII needs SMTPUTF8.
    fn needs_utf8(&self) -> bool {
        !self.sender.is_ascii() || self.recips.iter().any(|r| !r.is_ascii())
    }
}

/// TLS for one connection.
pub struct TlsPlan<'a> {
    pub level: &'a Level,
    /// The name the server's certificate must carry: the exchanger's or the relay's
    /// name, or the address when there is no name.
    pub name: &'a str,
    pub cert: Option<&'a ClientCert>,
    /// False on the second connection after an opportunistic handshake failed.
    pub try_tls: bool,
    /// The relay's credentials from control/smtpauth: TLS becomes a must, and AUTH
    /// follows it.
    pub auth: Option<&'a Credentials>,
    /// DANE: the server's authenticated TLSA records, usable ones only (RFC 7672). TLS
    /// becomes a must, and the certificate must match them.
    pub dane: Option<&'a [Tlsa]>,
}

/// How a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// Reported.
    Done,
    /// The opportunistic TLS handshake failed; nothing is reported yet: connect again
    /// and deliver without TLS.
    RetryClear,
}

/// What `starttls` leaves the dialogue with.
enum AfterTls {
    Go(Extensions),
    Ended(Ended),
}

struct Session<'a> {
    conn: Conn,
    ip: IpAddr,
    rep: &'a mut Report,
    /// The final dot has gone out and its answer is not in: the server may have the
    /// message already.
    critical: bool,
}

pub fn smtp(
    conn: Conn,
    ip: IpAddr,
    env: &Envelope<'_>,
    plan: &TlsPlan<'_>,
    msg: &mut dyn Read,
    rep: &mut Report,
) -> Ended {
    let mut s = Session {
        conn,
        ip,
        rep,
        critical: false,
    };
    match s.dialogue(env, plan, msg) {
        Ok(ended) => ended,
        Err(Died) => {
            let critical = s.critical;
            s.rep.dropped(ip, critical);
            Ended::Done
        }
    }
}

impl Session<'_> {
    fn reply(&mut self) -> Result<Reply, Died> {
        reply::read(&mut self.conn)
    }

    /// QUIT and the message report. A failure to send QUIT changes nothing: the answer
    /// that decided the outcome is already in.
    fn quit(&mut self, (prepend, append): (&str, &str), text: &[u8]) -> Result<(), Died> {
        let _ = self.conn.command(&[b"QUIT\r\n"]);
        self.rep.quit(prepend, self.ip, append, text);
        Ok(())
    }

    /// EHLO, or HELO when EHLO is refused. `None`: the session has ended (reported).
    fn hello(&mut self, env: &Envelope<'_>) -> Result<Option<Extensions>, Died> {
        self.conn.command(&[b"EHLO ", env.helohost, b"\r\n"])?;
        let r = self.reply()?;
        if r.code == 250 {
            return Ok(Some(ehlo::parse(&r.text)));
        }
        self.conn.command(&[b"HELO ", env.helohost, b"\r\n"])?;
        let r = self.reply()?;
        if r.code != 250 {
            self.quit(quit::HELO, &r.text)?;
            return Ok(None);
        }
        Ok(Some(Extensions::default()))
    }

    /// STARTTLS as `plan` says, and EHLO again inside TLS.
    fn starttls(
        &mut self,
        env: &Envelope<'_>,
        plan: &TlsPlan<'_>,
        ext: Extensions,
    ) -> Result<AfterTls, Died> {
        let required = matches!(plan.level, Level::Verified { .. })
            || plan.auth.is_some()
            || plan.dane.is_some();
        if plan.auth.is_some() && matches!(plan.level, Level::Never) {
            let _ = self.conn.command(&[b"QUIT\r\n"]);
            self.rep.tls_failed(
                self.ip,
                "control/tlsdestinations says no TLS and a password is never sent in clear",
                b"",
            );
            return Ok(AfterTls::Ended(Ended::Done));
        }
        if matches!(plan.level, Level::Never) || !plan.try_tls {
            return Ok(AfterTls::Go(ext));
        }
        if !ext.starttls {
            if required {
                let _ = self.conn.command(&[b"QUIT\r\n"]);
                let why = if plan.dane.is_some() {
                    "it does not offer STARTTLS and its TLSA records (DANE) require TLS"
                } else {
                    "it does not offer STARTTLS and TLS is required"
                };
                self.rep.tls_failed(self.ip, why, b"");
                return Ok(AfterTls::Ended(Ended::Done));
            }
            return Ok(AfterTls::Go(ext));
        }
        let (tls, verdict) = match tls::connect(plan.level, plan.dane, plan.name, plan.cert) {
            Ok(x) => x,
            Err(tls::SetupError(why)) => {
                let _ = self.conn.command(&[b"QUIT\r\n"]);
                self.rep
                    .message(&format!("Z{}. (#4.3.0)\n", tls::printable(&why)));
                return Ok(AfterTls::Ended(Ended::Done));
            }
        };
        self.conn.command(&[b"STARTTLS\r\n"])?;
        let r = self.reply()?;
        if r.code != 220 {
            if required {
                let _ = self.conn.command(&[b"QUIT\r\n"]);
                self.rep.tls_failed(
                    self.ip,
                    "STARTTLS was rejected and TLS is required",
                    &r.text,
                );
                return Ok(AfterTls::Ended(Ended::Done));
            }
            // Opportunistic: the server offered and then declined; go on in clear.
            return Ok(AfterTls::Go(ext));
        }
        if let Err(TlsDied(why)) = self.conn.start_tls(tls) {
            if !required {
                return Ok(AfterTls::Ended(Ended::RetryClear));
            }
            let why = match (why, verdict.checked()) {
                (_, Some(Err(cert))) if plan.dane.is_some() => {
                    format!("its certificate did not match its TLSA records (DANE): {cert}")
                }
                (_, Some(Err(cert))) => format!("its certificate did not verify: {cert}"),
                (Some(w), _) => format!("the TLS handshake failed: {w}"),
                (None, _) => "the connection died in the TLS handshake".to_string(),
            };
            self.rep.tls_failed(self.ip, &tls::printable(&why), b"");
            return Ok(AfterTls::Ended(Ended::Done));
        }
        if let Some(c) = self.conn.tls() {
            self.rep.tls = tls::describe(c, &verdict, plan.name).into_bytes();
        }
        // RFC 3207: everything learnt before TLS is forgotten; ask again.
        self.conn.command(&[b"EHLO ", env.helohost, b"\r\n"])?;
        let r = self.reply()?;
        if r.code != 250 {
            self.quit(quit::HELO, &r.text)?;
            return Ok(AfterTls::Ended(Ended::Done));
        }
        Ok(AfterTls::Go(ehlo::parse(&r.text)))
    }

    fn dialogue(
        &mut self,
        env: &Envelope<'_>,
        plan: &TlsPlan<'_>,
        msg: &mut dyn Read,
    ) -> Result<Ended, Died> {
        let r = self.reply()?;
        if r.code != 220 {
            self.quit(quit::GREETING, &r.text)?;
            return Ok(Ended::Done);
        }
        let Some(ext) = self.hello(env)? else {
            return Ok(Ended::Done);
        };
        let ext = match self.starttls(env, plan, ext)? {
            AfterTls::Go(ext) => ext,
            AfterTls::Ended(e) => return Ok(e),
        };
        if let Some(c) = plan.auth {
            if !self.authenticate(c, &ext)? {
                return Ok(Ended::Done);
            }
        }
        self.transaction(env, &ext, msg)?;
        Ok(Ended::Done)
    }

    /// AUTH PLAIN, or LOGIN when PLAIN is not offered (RFC 4954), inside TLS. False: the
    /// session has ended (reported as a temporary failure with the server's reply).
    fn authenticate(&mut self, c: &Credentials, ext: &Extensions) -> Result<bool, Died> {
        let r = if ext.auth_plain {
            self.conn
                .command(&[b"AUTH PLAIN ", &auth::plain(c), b"\r\n"])?;
            self.reply()?
        } else if ext.auth_login {
            self.conn.command(&[b"AUTH LOGIN\r\n"])?;
            let mut r = self.reply()?;
            for secret in [&c.user, &c.password] {
                if r.code != 334 {
                    break;
                }
                self.conn.command(&[&auth::base64(secret), b"\r\n"])?;
                r = self.reply()?;
            }
            r
        } else {
            let _ = self.conn.command(&[b"QUIT\r\n"]);
            self.rep.tls_failed(
                self.ip,
                "it offers neither AUTH PLAIN nor AUTH LOGIN and control/smtpauth has a password for it",
                b"",
            );
            return Ok(false);
        };
        if r.code != 235 {
            self.quit(quit::AUTH, &r.text)?;
            return Ok(false);
        }
        Ok(true)
    }

    /// A permanent failure decided before MAIL: QUIT, and the message report.
    fn refuse(&mut self, text: &str) -> Result<(), Died> {
        let _ = self.conn.command(&[b"QUIT\r\n"]);
        self.rep.message(text);
        Ok(())
    }

    fn transaction(
        &mut self,
        env: &Envelope<'_>,
        ext: &Extensions,
        msg: &mut dyn Read,
    ) -> Result<(), Died> {
        if let (Some(limit), Some(size)) = (ext.size_limit, env.size) {
            if size > limit {
                return self.refuse(&format!(
                    "D{} accepts messages of at most {limit} bytes; this one has {size} bytes. (#5.3.4)\n",
                    self.ip
                ));
            }
        }
        let utf8 = env.needs_utf8();
        if utf8 && !ext.smtputf8 {
            return self.refuse(&format!(
                "D{} does not support SMTPUTF8, which the addresses of this message need. (#5.6.7)\n",
                self.ip
            ));
        }
        let mut mail = b"MAIL FROM:<".to_vec();
        mail.extend_from_slice(env.sender);
        mail.push(b'>');
        if let (true, Some(size)) = (ext.size, env.size) {
            mail.extend_from_slice(format!(" SIZE={size}").as_bytes());
        }
        if ext.eightbitmime && (env.eight_bit)() {
            mail.extend_from_slice(b" BODY=8BITMIME");
        }
        if utf8 {
            mail.extend_from_slice(b" SMTPUTF8");
        }
        mail.extend_from_slice(b"\r\n");
        let rcpt = |r: &[u8]| [&b"RCPT TO:<"[..], r, b">\r\n"].concat();
        if ext.pipelining {
            // RFC 2920: MAIL and every RCPT in one write, the replies read in order.
            let mut batch = mail;
            for r in env.recips {
                batch.extend_from_slice(&rcpt(r));
            }
            self.conn.command(&[&batch])?;
        } else {
            self.conn.command(&[&mail])?;
        }
        let r = self.reply()?;
        if r.is_perm() {
            return self.quit(quit::SENDER_PERM, &r.text);
        }
        if r.is_temp() {
            return self.quit(quit::SENDER_TEMP, &r.text);
        }
        let mut accepted = false;
        for r in env.recips {
            if !ext.pipelining {
                self.conn.command(&[&rcpt(r)])?;
            }
            let r = self.reply()?;
            if r.code >= 400 {
                self.rep.rcpt_refused(r.is_perm(), self.ip, &r.text);
            } else {
                self.rep.rcpt_ok();
                accepted = true;
            }
        }
        if !accepted {
            // The refusal texts are in the recipient reports already.
            return self.quit(quit::NO_RCPT, b"");
        }
        self.conn.command(&[b"DATA\r\n"])?;
        let r = self.reply()?;
        if r.is_perm() {
            return self.quit(quit::DATA_PERM, &r.text);
        }
        if r.is_temp() {
            return self.quit(quit::DATA_TEMP, &r.text);
        }
        match self.blast(msg)? {
            Sent::Whole => {}
            // qmail gives up without QUIT and without flushing: the server sees the
            // connection close in the middle of DATA and keeps nothing.
            Sent::ReadError => {
                self.rep.message(report::READ);
                return Ok(());
            }
            Sent::PartialLine => {
                self.rep.message(report::PARTIAL);
                return Ok(());
            }
        }
        let r = self.reply()?;
        self.critical = false;
        if r.is_perm() {
            return self.quit(quit::AFTER_PERM, &r.text);
        }
        if r.is_temp() {
            return self.quit(quit::AFTER_TEMP, &r.text);
        }
        self.quit(quit::ACCEPTED, &r.text)
    }

    fn blast(&mut self, msg: &mut dyn Read) -> Result<Sent, Died> {
        let mut b = Blast::new();
        let mut buf = vec![0u8; INBUF];
        loop {
            match msg.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => b.feed(buf.get(..n).unwrap_or_default(), &mut self.conn)?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Ok(Sent::ReadError),
            }
        }
        if b.partial() {
            return Ok(Sent::PartialLine);
        }
        self.critical = true;
        if b.finish(&mut self.conn.tail())?.is_err() {
            return Ok(Sent::PartialLine);
        }
        self.conn.flush()?;
        Ok(Sent::Whole)
    }
}

enum Sent {
    Whole,
    ReadError,
    PartialLine,
}
