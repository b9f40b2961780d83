//! The fields qmail-inject adds: From, Date, Message-ID, Mail-Followup-To, and the
//! default envelope sender. From and the sender are built as tokens, printed, and read
//! back through the address rewriting, exactly like a field found in the message.
use super::headerfield::Use;
use super::{Fatal, Inject, LINELEN};
use crate::addrlist::addrlist;
use crate::hfield::H;
use crate::quote::{quote2, quote_need};
use crate::token822::{parse, unparse, Kind, Token};

impl Inject<'_> {
    /// Parse a generated field and rewrite its addresses as `how`.
    pub(super) fn generated(&mut self, tokens: &[Token], how: Use) -> Result<Vec<u8>, Fatal> {
        let line = unparse(tokens, LINELEN);
        let ta = parse(&line).ok_or_else(|| Fatal::Unparsable(line.clone()))?;
        let mut lists = self.lists();
        let out = addrlist(&ta, &mut |a: &mut Vec<Token>| lists.address(how, a))
            .map_err(|_| Fatal::Unparsable(line))?;
        Ok(unparse(&out, LINELEN))
    }

    /// `From: "Full Name" <user@host>` (or the comment form), rewritten.
    pub(super) fn default_from(&mut self) -> Result<Vec<u8>, Fatal> {
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
    pub(super) fn default_return_path(&mut self) -> Result<(), Fatal> {
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

    pub(super) fn date(&self) -> Vec<u8> {
        format!(
            "Date: {}\n",
            qmail_core::date822::date822(self.set.starttime)
        )
        .into_bytes()
    }

    pub(super) fn message_id(&self) -> Vec<u8> {
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

    pub(super) fn mail_followup_to(&self) -> Option<Vec<u8>> {
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
}
