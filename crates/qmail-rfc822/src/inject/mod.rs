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
use std::io::{self, BufRead};

use crate::headerbody;
use crate::hfield::{H, H_NUM};
use crate::quote::quote2;
use crate::rewrite::{envelope_form, rwgeneric, BadControl};
use crate::token822::parse;

/// Fold rewritten fields at this many columns.
pub const LINELEN: usize = 80;

mod generate;
mod headerfield;
mod settings;
#[cfg(test)]
mod tests;

pub use settings::{Controls, Flags, Settings};

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

    fn seen(&self, h: H) -> bool {
        self.seen.get(h.index()).copied().unwrap_or(false)
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
    let _ = headerbody::copy_body(&mut r, start.last(), &mut |b| text.extend_from_slice(b));
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
