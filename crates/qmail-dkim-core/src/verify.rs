//! DKIM verification (RFC 6376 §6, RFC 8463, RFC 8301): every DKIM-Signature field of
//! the header (the first [`SIGS_MAX`]), each with its own result as RFC 8601 names them.
//! The header is given whole; the body streams through [`Verifier::body`]; the keys come
//! from a [`KeySource`] (DNS in production) only after the body hash matched.
use ring::digest::{digest, SHA256};
use ring::signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY as RSA_SHA256;
use ring::signature::{RsaPublicKeyComponents, UnparsedPublicKey, ED25519};

use crate::body::BodyHasher;
use crate::canon::{relaxed_header, split, Field};
use crate::keyrec::{KeyError, KeyRecord, PublicKey};
use crate::signature::{without_b, Algorithm, Canon, SigError, Signature};
use crate::tags;

/// Signatures looked at per message; the rest are ignored (each costs a DNS query).
pub const SIGS_MAX: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    Neutral,
    Policy,
    TempError,
    PermError,
}

impl Verdict {
    /// The RFC 8601 result name.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Neutral => "neutral",
            Verdict::Policy => "policy",
            Verdict::TempError => "temperror",
            Verdict::PermError => "permerror",
        }
    }
}

/// One signature's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub verdict: Verdict,
    /// Why, for the comment after the result.
    pub reason: Option<String>,
    pub domain: Option<Vec<u8>>,
    pub selector: Option<Vec<u8>>,
    pub auid: Option<Vec<u8>>,
    pub algorithm: Option<Algorithm>,
    /// b= without white space (header.b takes its first 8 characters).
    pub b: Vec<u8>,
    /// The key record says t=y.
    pub testing: bool,
}

/// What a key lookup found.
pub enum KeyFetch {
    /// The TXT records at the name, each one's strings joined.
    Found(Vec<Vec<u8>>),
    /// No such name, or no TXT records there.
    NotFound,
    /// Try again later.
    Temporary,
}

pub trait KeySource {
    /// The TXT records at `name` (`selector._domainkey.domain`).
    fn fetch(&mut self, name: &[u8]) -> KeyFetch;
}

enum Entry {
    Bad {
        err: SigError,
        domain: Option<Vec<u8>>,
        selector: Option<Vec<u8>>,
    },
    Good {
        sig: Box<Signature>,
        text: Vec<u8>,
        hasher: usize,
    },
}

pub struct Verifier {
    header: Vec<u8>,
    entries: Vec<Entry>,
    hashers: Vec<(Canon, Option<u64>, BodyHasher)>,
}

fn is_sig(f: &Field<'_>) -> bool {
    f.name.eq_ignore_ascii_case(b"DKIM-Signature")
}

fn value(text: &[u8]) -> &[u8] {
    let colon = memchr::memchr(b':', text).map_or(text.len(), |c| c.saturating_add(1));
    text.get(colon..).unwrap_or_default()
}

/// d= and s= of a field that did not parse, when they can be read (for the report).
fn names_of(v: &[u8]) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    let Ok(t) = tags::parse(v) else {
        return (None, None);
    };
    let ok = |s: &[u8]| {
        (!s.is_empty()
            && s.len() <= 253
            && s.iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')))
        .then(|| s.to_ascii_lowercase())
    };
    (
        tags::get(&t, b"d").and_then(ok),
        tags::get(&t, b"s").and_then(ok),
    )
}

impl Verifier {
    /// `header`: the message's header section (without the empty line that ends it).
    pub fn new(header: Vec<u8>) -> Verifier {
        let mut entries = Vec::new();
        let mut hashers: Vec<(Canon, Option<u64>, BodyHasher)> = Vec::new();
        {
            let (fields, _) = split(&header);
            for f in fields.iter().filter(|f| is_sig(f)).take(SIGS_MAX) {
                let v = value(&f.text);
                match Signature::parse(v) {
                    Ok(sig) => {
                        let key = (sig.body_canon, sig.length);
                        let hasher = match hashers.iter().position(|(c, l, _)| (*c, *l) == key) {
                            Some(i) => i,
                            None => {
                                hashers.push((key.0, key.1, BodyHasher::new(key.0, key.1)));
                                hashers.len().saturating_sub(1)
                            }
                        };
                        entries.push(Entry::Good {
                            sig: Box::new(sig),
                            text: f.text.clone(),
                            hasher,
                        });
                    }
                    Err(err) => {
                        let (domain, selector) = names_of(v);
                        entries.push(Entry::Bad {
                            err,
                            domain,
                            selector,
                        });
                    }
                }
            }
        }
        Verifier {
            header,
            entries,
            hashers,
        }
    }

    /// No DKIM-Signature at all: the result is `none`.
    pub fn is_unsigned(&self) -> bool {
        self.entries.is_empty()
    }

    /// The next piece of the body.
    pub fn body(&mut self, data: &[u8]) {
        for (_, _, h) in &mut self.hashers {
            h.update(data);
        }
    }

    /// Every signature's result. `now`: unix time, for x=.
    pub fn finish(self, keys: &mut dyn KeySource, now: u64) -> Vec<Outcome> {
        let hashes: Vec<(Vec<u8>, u64)> = self
            .hashers
            .into_iter()
            .map(|(_, _, h)| h.finish())
            .collect();
        let (fields, _) = split(&self.header);
        let mut cache: Vec<(Vec<u8>, KeyFetch)> = Vec::new();
        let mut out = Vec::with_capacity(self.entries.len());
        for e in self.entries {
            match e {
                Entry::Bad {
                    err,
                    domain,
                    selector,
                } => out.push(Outcome {
                    verdict: Verdict::Neutral,
                    reason: Some(err.to_string()),
                    domain,
                    selector,
                    auid: None,
                    algorithm: None,
                    b: Vec::new(),
                    testing: false,
                }),
                Entry::Good { sig, text, hasher } => {
                    let (bh, total) = hashes.get(hasher).cloned().unwrap_or_default();
                    let mut o = Outcome {
                        verdict: Verdict::Pass,
                        reason: None,
                        domain: Some(sig.domain.clone()),
                        selector: Some(sig.selector.clone()),
                        auid: sig.auid.clone(),
                        algorithm: Some(sig.algorithm),
                        b: sig.b_text.clone(),
                        testing: false,
                    };
                    let (verdict, reason) = check(
                        &sig, &text, &fields, &bh, total, now, keys, &mut cache, &mut o,
                    );
                    o.verdict = verdict;
                    o.reason = reason;
                    out.push(o);
                }
            }
        }
        out
    }
}

fn key_error(e: KeyError) -> (Verdict, Option<String>) {
    (Verdict::PermError, Some(e.to_string()))
}

#[allow(clippy::too_many_arguments)]
fn check(
    sig: &Signature,
    text: &[u8],
    fields: &[Field<'_>],
    bh: &[u8],
    total: u64,
    now: u64,
    keys: &mut dyn KeySource,
    cache: &mut Vec<(Vec<u8>, KeyFetch)>,
    o: &mut Outcome,
) -> (Verdict, Option<String>) {
    let fail = |why: &str| (Verdict::Fail, Some(why.to_string()));
    if sig.expires.is_some_and(|x| x < now) {
        return fail("signature expired");
    }
    if sig.length.is_some_and(|l| l > total) {
        return fail("l= is longer than the body");
    }
    if bh != sig.bh.as_slice() {
        return fail("body hash did not verify");
    }
    let name = sig.key_name();
    if !cache.iter().any(|(n, _)| *n == name) {
        let f = keys.fetch(&name);
        cache.push((name.clone(), f));
    }
    let records = match cache.iter().find(|(n, _)| *n == name).map(|(_, f)| f) {
        Some(KeyFetch::Found(r)) if !r.is_empty() => r,
        Some(KeyFetch::Temporary) => {
            return (Verdict::TempError, Some("key lookup failed".to_string()))
        }
        _ => return (Verdict::PermError, Some("no key for signature".to_string())),
    };
    // More than one record is the domain's mistake (§3.6.2.2): the first good one counts.
    let mut first_err = None;
    let mut rec = None;
    for r in records {
        match KeyRecord::parse(r, sig.algorithm) {
            Ok(k) => {
                rec = Some(k);
                break;
            }
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    let Some(rec) = rec else {
        return key_error(first_err.unwrap_or(KeyError::Syntax));
    };
    o.testing = rec.testing;
    if rec.strict {
        let auid_domain = sig
            .auid
            .as_ref()
            .and_then(|i| memchr::memrchr(b'@', i).map(|a| i.get(a.saturating_add(1)..)))
            .flatten()
            .unwrap_or(&sig.domain);
        if !auid_domain.eq_ignore_ascii_case(&sig.domain) {
            return (
                Verdict::PermError,
                Some("key is strict (t=s) and i= is a subdomain".to_string()),
            );
        }
    }
    let data = header_data(sig, text, fields);
    let ok = match &rec.key {
        PublicKey::Rsa { n, e } => RsaPublicKeyComponents { n, e }
            .verify(&RSA_SHA256, &data, &sig.b)
            .is_ok(),
        PublicKey::Ed25519(k) => UnparsedPublicKey::new(&ED25519, k)
            .verify(digest(&SHA256, &data).as_ref(), &sig.b)
            .is_ok(),
    };
    if !ok {
        return fail("signature did not verify");
    }
    match sig.length {
        Some(l) if l < total => (
            Verdict::Policy,
            Some(format!(
                "l= leaves {} bytes of the body unsigned",
                total.saturating_sub(l)
            )),
        ),
        _ => (Verdict::Pass, None),
    }
}

fn canon_header(c: Canon, text: &[u8]) -> Vec<u8> {
    match c {
        Canon::Relaxed => relaxed_header(text),
        Canon::Simple => [text, b"\r\n"].concat(),
    }
}

/// The header hash input (§3.7): the h= fields, each name picking the last instance not
/// yet used (a missing one adds nothing), then this signature's field with b= empty and
/// no final CRLF.
fn header_data(sig: &Signature, text: &[u8], fields: &[Field<'_>]) -> Vec<u8> {
    let mut used = vec![false; fields.len()];
    let mut out = Vec::new();
    for name in &sig.headers {
        let pick = fields.iter().enumerate().rev().find(|(i, f)| {
            !used.get(*i).copied().unwrap_or(true) && f.name.eq_ignore_ascii_case(name)
        });
        if let Some((i, f)) = pick {
            if let Some(u) = used.get_mut(i) {
                *u = true;
            }
            out.extend_from_slice(&canon_header(sig.header_canon, &f.text));
        }
    }
    let mut own = canon_header(sig.header_canon, &without_b(text));
    own.truncate(own.len().saturating_sub(2));
    out.extend_from_slice(&own);
    out
}
