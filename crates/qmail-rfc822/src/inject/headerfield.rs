//! One header field through qmail-inject: dropped when QMAILINJECT says so, its addresses
//! completed and the field printed again (folded), the addresses collected for the
//! envelope (header recipients, To/Cc, Resent- recipients, Return-Path sender), and the
//! field kept unless it is one qmail-inject removes.
use super::{Fatal, Inject, LINELEN};
use crate::addrlist::addrlist;
use crate::hfield::{self, H};
use crate::rewrite::{envelope_form, rwgeneric, Domains};
use crate::token822::{parse, unparse, Token};

/// What a rewritten field's addresses are used for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Use {
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

/// Collects what the rewriting callbacks produce while a field is walked.
pub(super) struct Lists<'b> {
    domains: &'b Domains,
    hackrecip: bool,
    sender: &'b mut Option<Vec<u8>>,
    hrlist: &'b mut Vec<Vec<u8>>,
    tocclist: &'b mut Vec<Vec<u8>>,
    hrrlist: &'b mut Vec<Vec<u8>>,
}

impl Lists<'_> {
    pub(super) fn address(&mut self, how: Use, addr: &mut Vec<Token>) {
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

impl Inject<'_> {
    pub(super) fn lists(&mut self) -> Lists<'_> {
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
}
