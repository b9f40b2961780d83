//! qmail-inject's header rewriting as a pure state machine: settings in, header fields
//! in, then the new header text and the envelope out. No files, no clock, no process:
//! the program supplies the environment, the control values, the start time and its pid.
//!
//! Rules (qmail-inject(8), qmail-header(5)):
//! - addresses in sender and recipient fields are completed (`rewrite`) and the field is
//!   printed again, folded at 80 columns; recipient fields that do not parse are kept as
//!   they are, sender fields that do not parse are fatal;
//! - Bcc, Resent-Bcc, Return-Path and Content-Length are removed; From / Message-ID /
//!   Return-Path too when QMAILINJECT says f / i / s;
//! - missing Date, Message-ID, From and a `Cc: recipient list not shown: ;` are generated
//!   *before* the original fields (the Resent- forms when the message is resent);
//! - the envelope sender is -f, else the first Return-Path address, else the default;
//!   recipients are the arguments and/or the header ones, per the strategy.
use std::collections::HashSet;
use std::io::{self, BufRead};

use crate::addrlist::addrlist;
use crate::headerbody;
use crate::hfield::{self, H, H_NUM};
use crate::quote::{quote2, quote_need};
use crate::rewrite::{envelope_form, rwgeneric, BadControl, Domains};
use crate::token822::{parse, unparse, Kind, Token};

/// Fold rewritten fields at this many columns.
pub const LINELEN: usize = 80;

/// A fatal error; all are permanent (exit 100).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fatal {
    /// `unable to parse this line:` and the line as it was.
    Unparsable(Vec<u8>),
    /// A recipient argument that does not tokenize.
    BadAddress(Vec<u8>),
    /// A header field that is not a field (cannot come out of `headerbody`).
    InvalidHeader(Vec<u8>),
}

impl Fatal {
    /// The complete text for stderr.
    pub fn message(&self) -> Vec<u8> {
        let mut m = b"qmail-inject: fatal: ".to_vec();
        match self {
            Fatal::Unparsable(l) => {
                m.extend_from_slice(b"unable to parse this line:\n");
                m.extend_from_slice(l);
            }
            Fatal::BadAddress(a) => {
                m.extend_from_slice(b"unable to parse address: ");
                m.extend_from_slice(a);
                m.push(b'\n');
            }
            Fatal::InvalidHeader(h) => {
                m.extend_from_slice(b"invalid header field: ");
                m.extend_from_slice(h);
            }
        }
        m
    }
}

impl From<BadControl> for Fatal {
    fn from(b: BadControl) -> Fatal {
        Fatal::Unparsable(b.0)
    }
}

/// The QMAILINJECT letters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// c: From as `user@host (Full Name)`.
    pub namecomment: bool,
    /// s: ignore and delete incoming Return-Path.
    pub deletesender: bool,
    /// f: delete incoming From.
    pub deletefrom: bool,
    /// i: delete incoming Message-ID.
    pub deletemessid: bool,
    /// r: per-recipient VERP.
    pub hackrecip: bool,
    /// m: per-message VERP.
    pub hackmess: bool,
}

impl Flags {
    pub fn parse(letters: &[u8]) -> Flags {
        let mut f = Flags::default();
        for c in letters {
            match c {
                b'c' => f.namecomment = true,
                b's' => f.deletesender = true,
                b'f' => f.deletefrom = true,
                b'i' => f.deletemessid = true,
                b'r' => f.hackrecip = true,
                b'm' => f.hackmess = true,
                _ => {}
            }
        }
        f
    }
}

/// First lines of the control files (None: file missing).
#[derive(Clone, Debug, Default)]
pub struct Controls {
    pub me: Option<Vec<u8>>,
    pub defaultdomain: Option<Vec<u8>>,
    pub defaulthost: Option<Vec<u8>>,
    pub plusdomain: Option<Vec<u8>>,
    pub idhost: Option<Vec<u8>>,
}

/// Everything qmail-inject decides before reading the message.
#[derive(Clone, Debug)]
pub struct Settings {
    pub flags: Flags,
    pub mailhost: Option<Vec<u8>>,
    pub mailuser: Vec<u8>,
    pub mailrhost: Option<Vec<u8>>,
    pub mailruser: Vec<u8>,
    pub fullname: Option<Vec<u8>>,
    pub domains: Domains,
    pub idhost: Vec<u8>,
    /// QMAILMFTFILE entries, lowercased.
    pub mft: Option<HashSet<Vec<u8>>>,
    pub starttime: i64,
    pub pid: u32,
}

impl Settings {
    /// Settings from an environment lookup, the control files, the mailing-list file
    /// (already read), the start time and the pid.
    pub fn new(
        env: &dyn Fn(&str) -> Option<Vec<u8>>,
        c: &Controls,
        mft: Option<Vec<Vec<u8>>>,
        starttime: i64,
        pid: u32,
    ) -> Result<Settings, Fatal> {
        let first = |names: &[&str]| names.iter().find_map(|n| env(n));
        let ctl = |file: &Option<Vec<u8>>, var: &str, literal: &str| {
            env(var)
                .or_else(|| file.clone())
                .or_else(|| c.me.clone())
                .unwrap_or_else(|| literal.as_bytes().to_vec())
        };
        let defaultdomain = ctl(&c.defaultdomain, "QMAILDEFAULTDOMAIN", "defaultdomain");
        let defaulthost = ctl(&c.defaulthost, "QMAILDEFAULTHOST", "defaulthost");
        let plusdomain = ctl(&c.plusdomain, "QMAILPLUSDOMAIN", "plusdomain");
        let idhost = ctl(&c.idhost, "QMAILIDHOST", "idhost");
        let domains = Domains::new(&defaulthost, &defaultdomain, &plusdomain)?;
        let mailhost = first(&["QMAILHOST", "MAILHOST"]);
        let mailuser = first(&["QMAILUSER", "MAILUSER", "USER", "LOGNAME"])
            .unwrap_or_else(|| b"anonymous".to_vec());
        Ok(Settings {
            flags: Flags::parse(&env("QMAILINJECT").unwrap_or_default()),
            mailrhost: env("QMAILSHOST").or_else(|| mailhost.clone()),
            mailruser: env("QMAILSUSER").unwrap_or_else(|| mailuser.clone()),
            mailhost,
            mailuser,
            fullname: first(&["QMAILNAME", "MAILNAME", "NAME"]),
            domains,
            idhost,
            mft: mft.map(|l| l.into_iter().map(|x| x.to_ascii_lowercase()).collect()),
            starttime,
            pid,
        })
    }
}

/// Which recipients go into the envelope (-a, -h, -A, -H).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// -A: arguments if there are any, else the header.
    Default,
    /// -a
    Args,
    /// -h
    Header,
    /// -H
    Both,
}

/// What a rewritten field's addresses are used for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    /// To, Cc: header recipients and the Mail-Followup-To list.
    ToCc,
    /// Bcc, Apparently-To.
    Header,
    /// Resent-To, -Cc, -Bcc.
    Resent,
    /// Return-Path: the envelope sender.
    Return,
    /// From, Sender, Reply-To, …: rewritten only.
    Sender,
}

/// The message being injected.
pub struct Inject<'a> {
    set: &'a Settings,
    sender: Option<Vec<u8>>,
    reciplist: Vec<Vec<u8>>,
    hrlist: Vec<Vec<u8>>,
    tocclist: Vec<Vec<u8>>,
    hrrlist: Vec<Vec<u8>>,
    seen: [bool; H_NUM],
    saved: Vec<Vec<u8>>,
    flagrh: bool,
    resent: bool,
}

/// Collects what the rewriting callbacks produce while a field is walked.
struct Lists<'b> {
    domains: &'b Domains,
    hackrecip: bool,
    sender: &'b mut Option<Vec<u8>>,
    hrlist: &'b mut Vec<Vec<u8>>,
    tocclist: &'b mut Vec<Vec<u8>>,
    hrrlist: &'b mut Vec<Vec<u8>>,
}

impl Lists<'_> {
    fn address(&mut self, how: Use, addr: &mut Vec<Token>) {
        rwgeneric(addr, self.domains);
        match how {
            Use::ToCc => {
                let a = envelope_form(addr);
                self.hrlist.push(a.clone());
                self.tocclist.push(a);
            }
            Use::Header => self.hrlist.push(envelope_form(addr)),
            Use::Resent => self.hrrlist.push(envelope_form(addr)),
            Use::Return => {
                if self.sender.is_none() {
                    let mut s = envelope_form(addr);
                    if self.hackrecip {
                        s.extend_from_slice(b"-@[]");
                    }
                    *self.sender = Some(s);
                }
            }
            Use::Sender => {}
        }
    }
}

impl<'a> Inject<'a> {
    pub fn new(set: &'a Settings) -> Inject<'a> {
        Inject {
            set,
            sender: None,
            reciplist: Vec::new(),
            hrlist: Vec::new(),
            tocclist: Vec::new(),
            hrrlist: Vec::new(),
            seen: [false; H_NUM],
            saved: Vec::new(),
            flagrh: true,
            resent: false,
        }
    }

    /// `-f sender`: completed like any address and used as is (no VERP suffix).
    pub fn sender_option(&mut self, f: &[u8]) -> Result<(), Fatal> {
        let q = quote2(f);
        let mut t = parse(&q).ok_or(Fatal::Unparsable(q))?;
        t.reverse();
        rwgeneric(&mut t, &self.set.domains);
        self.sender = Some(envelope_form(&t));
        Ok(())
    }

    /// Apply the strategy to the command-line recipients.
    pub fn recipients(&mut self, strategy: Strategy, args: &[Vec<u8>]) -> Result<(), Fatal> {
        let strategy = match strategy {
            Strategy::Default if args.is_empty() => Strategy::Header,
            Strategy::Default => Strategy::Args,
            s => s,
        };
        if strategy != Strategy::Header {
            for a in args {
                let q = quote2(a);
                let mut t = parse(&q).ok_or_else(|| Fatal::BadAddress(a.clone()))?;
                t.reverse();
                rwgeneric(&mut t, &self.set.domains);
                self.reciplist.push(envelope_form(&t));
            }
        }
        self.flagrh = strategy != Strategy::Args;
        Ok(())
    }

    fn lists(&mut self) -> Lists<'_> {
        Lists {
            domains: &self.set.domains,
            hackrecip: self.set.flags.hackrecip,
            sender: &mut self.sender,
            hrlist: &mut self.hrlist,
            tocclist: &mut self.tocclist,
            hrrlist: &mut self.hrrlist,
        }
    }

    /// Rewrite an address-list field; None when it does not parse.
    fn rewrite_field(&mut self, h: &[u8], how: Use) -> Option<Vec<u8>> {
        let ta = parse(h)?;
        let mut lists = self.lists();
        let out = addrlist(&ta, &mut |a: &mut Vec<Token>| lists.address(how, a)).ok()?;
        Some(unparse(&out, LINELEN))
    }

    /// One header field, with its newline and continuation lines.
    pub fn field(&mut self, mut h: Vec<u8>) -> Result<(), Fatal> {
        let htype = hfield::known(&h);
        let f = self.set.flags;
        if (f.deletefrom && htype == H::From)
            || (f.deletemessid && htype == H::MessageId)
            || (f.deletesender && htype == H::ReturnPath)
        {
            return Ok(());
        }
        if htype != H::Unknown {
            if let Some(s) = self.seen.get_mut(htype.index()) {
                *s = true;
            }
        } else if !hfield::valid(&h) {
            return Err(Fatal::InvalidHeader(h));
        }
        let how = match htype {
            H::To | H::Cc => Some((Use::ToCc, true)),
            H::Bcc | H::ApparentlyTo => Some((Use::Header, true)),
            H::ResentTo | H::ResentCc | H::ResentBcc => Some((Use::Resent, true)),
            H::ReturnPath => Some((Use::Return, false)),
            H::Sender
            | H::From
            | H::ReplyTo
            | H::ReturnReceiptTo
            | H::ErrorsTo
            | H::ResentSender
            | H::ResentFrom
            | H::ResentReplyTo => Some((Use::Sender, false)),
            _ => None,
        };
        if let Some((how, mayfail)) = how {
            match self.rewrite_field(&h, how) {
                Some(new) => h = new,
                None if mayfail => {}
                None => return Err(Fatal::Unparsable(h)),
            }
        }
        if matches!(
            htype,
            H::Bcc | H::ResentBcc | H::ReturnPath | H::ContentLength
        ) {
            return Ok(());
        }
        self.saved.push(h);
        Ok(())
    }

    fn seen(&self, h: H) -> bool {
        self.seen.get(h.index()).copied().unwrap_or(false)
    }

    /// Parse a generated field and rewrite its addresses as `how`.
    fn generated(&mut self, tokens: &[Token], how: Use) -> Result<Vec<u8>, Fatal> {
        let line = unparse(tokens, LINELEN);
        let ta = parse(&line).ok_or_else(|| Fatal::Unparsable(line.clone()))?;
        let mut lists = self.lists();
        let out = addrlist(&ta, &mut |a: &mut Vec<Token>| lists.address(how, a))
            .map_err(|_| Fatal::Unparsable(line))?;
        Ok(unparse(&out, LINELEN))
    }

    /// `From: "Full Name" <user@host>` (or the comment form), rewritten.
    fn default_from(&mut self) -> Result<Vec<u8>, Fatal> {
        let s = self.set;
        let name = s.fullname.as_deref();
        let mut t = vec![Token::text(Kind::Atom, b"From"), Token::punct(Kind::Colon)];
        if let (Some(n), false) = (name, s.flags.namecomment) {
            t.push(Token::text(Kind::Quote, n));
            t.push(Token::punct(Kind::Left));
        }
        let ukind = if quote_need(&s.mailuser) {
            Kind::Quote
        } else {
            Kind::Atom
        };
        t.push(Token::text(ukind, &s.mailuser));
        if let Some(h) = &s.mailhost {
            t.push(Token::punct(Kind::At));
            t.push(Token::text(Kind::Atom, h));
        }
        match (name, s.flags.namecomment) {
            (Some(_), false) => t.push(Token::punct(Kind::Right)),
            (Some(n), true) => t.push(Token::text(Kind::Comment, n)),
            (None, _) => {}
        }
        self.generated(&t, Use::Sender)
    }

    /// The envelope sender when neither -f nor a Return-Path gave one.
    fn default_return_path(&mut self) -> Result<(), Fatal> {
        let s = self.set;
        let mut user = s.mailruser.clone();
        if s.flags.hackmess {
            user.extend_from_slice(format!("-{}.{}", s.starttime, s.pid).as_bytes());
        }
        if s.flags.hackrecip {
            user.push(b'-');
        }
        let mut t = vec![
            Token::text(Kind::Atom, b"Return-Path"),
            Token::punct(Kind::Colon),
            Token::text(Kind::Quote, &user),
        ];
        if let Some(h) = &s.mailrhost {
            t.push(Token::punct(Kind::At));
            t.push(Token::text(Kind::Atom, h));
        }
        self.generated(&t, Use::Return)?;
        Ok(())
    }

    fn date(&self) -> Vec<u8> {
        format!(
            "Date: {}\n",
            qmail_core::date822::date822(self.set.starttime)
        )
        .into_bytes()
    }

    fn message_id(&self) -> Vec<u8> {
        let d = qmail_core::date822::tai_to_utc(self.set.starttime);
        let mut m = format!(
            "Message-ID: <{}{:02}{:02}{:02}{:02}{:02}.{}.qmail@",
            d.year, d.month, d.day, d.hour, d.min, d.sec, self.set.pid
        )
        .into_bytes();
        m.extend_from_slice(&self.set.idhost);
        m.extend_from_slice(b">\n");
        m
    }

    fn mail_followup_to(&self) -> Option<Vec<u8>> {
        let mft = self.set.mft.as_ref()?;
        if self.seen(H::MailFollowupTo) {
            return None;
        }
        if !self
            .tocclist
            .iter()
            .any(|a| mft.contains(&a.to_ascii_lowercase()))
        {
            return None;
        }
        let mut out = b"Mail-Followup-To: ".to_vec();
        let all: Vec<Vec<u8>> = self.tocclist.iter().rev().map(|a| quote2(a)).collect();
        out.extend_from_slice(&all.join(&b",\n  "[..]));
        out.push(b'\n');
        Some(out)
    }

    /// The header is complete: returns everything to write before the body — with
    /// `print` (-n) a `Return-Path:` line first, then the generated fields, then the
    /// kept original fields.
    pub fn finish(&mut self, print: bool) -> Result<Vec<u8>, Fatal> {
        use H::*;
        self.resent = [
            ResentSender,
            ResentFrom,
            ResentReplyTo,
            ResentTo,
            ResentCc,
            ResentBcc,
            ResentDate,
            ResentMessageId,
        ]
        .iter()
        .any(|&h| self.seen(h));
        if self.sender.is_none() {
            self.default_return_path()?;
        }
        let mut out = Vec::new();
        if print {
            out.extend_from_slice(b"Return-Path: <");
            out.extend_from_slice(&quote2(self.sender.as_deref().unwrap_or_default()));
            out.extend_from_slice(b">\n");
        }
        let (date, msgid, from, to, cc, prefix): (H, H, H, H, H, &[u8]) = if self.resent {
            (
                ResentDate,
                ResentMessageId,
                ResentFrom,
                ResentTo,
                ResentCc,
                b"Resent-",
            )
        } else {
            (Date, MessageId, From, To, Cc, b"")
        };
        if !self.seen(date) {
            out.extend_from_slice(prefix);
            out.extend_from_slice(&self.date());
        }
        if !self.seen(msgid) {
            out.extend_from_slice(prefix);
            out.extend_from_slice(&self.message_id());
        }
        if !self.seen(from) {
            out.extend_from_slice(prefix);
            out.extend_from_slice(&self.default_from()?);
        }
        if !self.seen(to) && !self.seen(cc) {
            out.extend_from_slice(prefix);
            out.extend_from_slice(b"Cc: recipient list not shown: ;\n");
        }
        if !self.resent {
            out.extend(self.mail_followup_to().unwrap_or_default());
        }
        for h in self.saved.drain(..) {
            out.extend_from_slice(&h);
        }
        Ok(out)
    }

    /// The envelope: sender and recipients (command line first, then the header's).
    /// Call after `finish`.
    pub fn envelope(&self) -> (Vec<u8>, Vec<Vec<u8>>) {
        let mut r = self.reciplist.clone();
        if self.flagrh {
            r.extend(
                if self.resent {
                    &self.hrrlist
                } else {
                    &self.hrlist
                }
                .iter()
                .cloned(),
            );
        }
        (self.sender.clone().unwrap_or_default(), r)
    }
}

/// Command-line choices of qmail-inject.
#[derive(Clone, Debug)]
pub struct Options {
    pub strategy: Strategy,
    pub sender: Option<Vec<u8>>,
    pub args: Vec<Vec<u8>>,
}

/// The result of injecting a whole message: what `-n` prints (or what is queued, less
/// the Return-Path line), and the envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub text: Vec<u8>,
    pub sender: Vec<u8>,
    pub recipients: Vec<Vec<u8>>,
}

/// The whole of qmail-inject for a message in memory (tests, fuzzing).
pub fn inject_message(
    set: &Settings,
    opts: &Options,
    msg: &[u8],
    print: bool,
) -> Result<Outcome, Fatal> {
    let mut inj = Inject::new(set);
    if let Some(f) = &opts.sender {
        inj.sender_option(f)?;
    }
    inj.recipients(opts.strategy, &opts.args)?;
    let mut r = io::BufReader::new(msg);
    let (fields, start) =
        headerbody::read_header(&mut r).unwrap_or((Vec::new(), headerbody::BodyStart::Eof));
    for f in fields {
        inj.field(f)?;
    }
    let mut text = inj.finish(print)?;
    text.extend_from_slice(&start.bytes());
    let _ = headerbody::copy_body(&mut r, &mut |b| text.extend_from_slice(b));
    let (sender, recipients) = inj.envelope();
    Ok(Outcome {
        text,
        sender,
        recipients,
    })
}

/// Read the header from `r` into `inj` (for the program, which then streams the body).
pub fn read_fields<R: BufRead>(
    inj: &mut Inject<'_>,
    r: &mut R,
) -> io::Result<Result<headerbody::BodyStart, Fatal>> {
    let (fields, start) = headerbody::read_header(r)?;
    for f in fields {
        if let Err(e) = inj.field(f) {
            return Ok(Err(e));
        }
    }
    Ok(Ok(start))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(env: &[(&str, &str)]) -> Settings {
        let env: Vec<(String, Vec<u8>)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
            .collect();
        let get = move |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let c = Controls {
            me: Some(b"me.example".to_vec()),
            idhost: Some(b"id.example".to_vec()),
            ..Controls::default()
        };
        Settings::new(&get, &c, None, 810_362_814, 12345).unwrap()
    }

    fn opts(strategy: Strategy, args: &[&str]) -> Options {
        Options {
            strategy,
            sender: None,
            args: args.iter().map(|a| a.as_bytes().to_vec()).collect(),
        }
    }

    #[test]
    fn exact_generated_fields_without_files() {
        let set = settings(&[("USER", "u")]);
        let o = inject_message(
            &set,
            &opts(Strategy::Default, &["x"]),
            b"Subject: s\n\nb\n",
            true,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(o.text).unwrap(),
            "Return-Path: <u@me.example>\nDate: 6 Sep 1995 04:46:54 -0000\n\
             Message-ID: <19950906044654.12345.qmail@id.example>\nFrom: u@me.example\n\
             Cc: recipient list not shown: ;\nSubject: s\n\nb\n"
        );
        assert_eq!(o.sender, b"u@me.example");
        assert_eq!(o.recipients, vec![b"x@me.example".to_vec()]);
    }

    #[test]
    fn per_message_verp() {
        let set = settings(&[("USER", "u"), ("QMAILINJECT", "m")]);
        let o =
            inject_message(&set, &opts(Strategy::Header, &[]), b"To: a@b.c\n\n", false).unwrap();
        assert_eq!(o.sender, b"u-810362814.12345@me.example");
        let set = settings(&[("USER", "u"), ("QMAILINJECT", "mr")]);
        let o =
            inject_message(&set, &opts(Strategy::Header, &[]), b"To: a@b.c\n\n", false).unwrap();
        assert_eq!(o.sender, b"u-810362814.12345-@me.example-@[]");
    }

    #[test]
    fn queued_text_has_no_return_path() {
        let set = settings(&[("USER", "u")]);
        let o = inject_message(
            &set,
            &opts(Strategy::Header, &[]),
            b"To: a@b.c\nDate: d\nMessage-ID: <m>\nFrom: f@g.h\n\nbody",
            false,
        )
        .unwrap();
        assert_eq!(
            o.text,
            b"To: a@b.c\nDate: d\nMessage-ID: <m>\nFrom: f@g.h\n\nbody\n"
        );
        assert_eq!(o.recipients, vec![b"a@b.c".to_vec()]);
    }

    #[test]
    fn fatal_messages() {
        assert_eq!(
            Fatal::Unparsable(b"From: (x\n".to_vec()).message(),
            b"qmail-inject: fatal: unable to parse this line:\nFrom: (x\n"
        );
        assert_eq!(
            Fatal::BadAddress(b"a@(b".to_vec()).message(),
            b"qmail-inject: fatal: unable to parse address: a@(b\n"
        );
    }

    #[test]
    fn bad_control_value_is_fatal() {
        let get = |k: &str| (k == "QMAILDEFAULTHOST").then(|| b"(".to_vec());
        let r = Settings::new(&get, &Controls::default(), None, 0, 1);
        assert_eq!(r.err(), Some(Fatal::Unparsable(b"@(".to_vec())));
    }
}
