//! Making the DKIM-Signature header field (RFC 6376 §5): relaxed/relaxed, the header
//! fields of [`DEFAULT_HEADERS`] that the message has (each instance, bottom-up), From
//! signed once more than it occurs so that no From can be added.
use ring::digest::{digest, Context, SHA256};
use ring::rand::SystemRandom;
use ring::signature::RSA_PKCS1_SHA256;

use crate::base64;
use crate::canon::{relaxed_body, relaxed_header, split, Field};
use crate::key::Key;

/// The header fields signed when present (RFC 6376 §5.4.1's list, less the trace fields).
pub const DEFAULT_HEADERS: &[&str] = &[
    "from",
    "reply-to",
    "subject",
    "date",
    "to",
    "cc",
    "resent-date",
    "resent-from",
    "resent-to",
    "resent-cc",
    "in-reply-to",
    "references",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "list-id",
    "list-help",
    "list-unsubscribe",
    "list-post",
    "list-owner",
    "list-archive",
];

pub struct Signer {
    pub domain: Vec<u8>,
    pub selector: Vec<u8>,
    pub key: Key,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("signing failed")]
pub struct SignError;

/// The names for h=, in order, each as often as the message has it (From once more).
fn signed_names(fields: &[Field<'_>]) -> Vec<Vec<u8>> {
    let mut h = Vec::new();
    for name in DEFAULT_HEADERS {
        let n = fields
            .iter()
            .filter(|f| f.name.eq_ignore_ascii_case(name.as_bytes()))
            .count();
        let extra = usize::from(*name == "from");
        for _ in 0..n.saturating_add(extra) {
            h.push(name.as_bytes().to_vec());
        }
    }
    h
}

/// The header hash input for h= (§5.4.2: the last unused instance of each name first).
fn header_data(fields: &[Field<'_>], names: &[Vec<u8>]) -> Vec<u8> {
    let mut used = vec![false; fields.len()];
    let mut out = Vec::new();
    for name in names {
        let pick = fields.iter().enumerate().rev().find(|(i, f)| {
            !used.get(*i).copied().unwrap_or(true) && f.name.eq_ignore_ascii_case(name)
        });
        if let Some((i, f)) = pick {
            if let Some(u) = used.get_mut(i) {
                *u = true;
            }
            out.extend_from_slice(&relaxed_header(&f.text));
        }
    }
    out
}

/// Fold base64 into 72-byte pieces joined by LF TAB.
fn fold(b64: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, piece) in b64.chunks(72).enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\n\t");
        }
        out.extend_from_slice(piece);
    }
    out
}

/// What a signature needs from the message, computed without the key: the h= names, the
/// body hash and the canonical header data. A signer can take these from a process that
/// cannot read the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub names: Vec<Vec<u8>>,
    pub bh: Vec<u8>,
    pub header_data: Vec<u8>,
}

pub fn prepare(msg: &[u8]) -> Prepared {
    let (fields, body) = split(msg);
    let bh = base64::encode(digest(&SHA256, &relaxed_body(body)).as_ref());
    prepare_fields(&fields, bh)
}

/// [`prepare`] for a message read in two parts: its header (the header fields, with or
/// without the empty line after them) and the body hash (base64) from a relaxed
/// [`crate::body::BodyHasher`].
pub fn prepare_header(header: &[u8], bh: Vec<u8>) -> Prepared {
    let (fields, _) = split(header);
    prepare_fields(&fields, bh)
}

fn prepare_fields(fields: &[Field<'_>], bh: Vec<u8>) -> Prepared {
    let names = signed_names(fields);
    let header_data = header_data(fields, &names);
    Prepared {
        names,
        bh,
        header_data,
    }
}

/// The DKIM-Signature header field (LF line ends, ending in LF) for a prepared message.
/// `now`: unix time for t=.
pub fn finish(s: &Signer, p: &Prepared, now: u64) -> Result<Vec<u8>, SignError> {
    finish_with(&s.key, &s.domain, &s.selector, p, now)
}

/// [`finish`] with a borrowed key (a signer that keeps its keys loaded).
pub fn finish_with(
    key: &Key,
    domain: &[u8],
    selector: &[u8],
    p: &Prepared,
    now: u64,
) -> Result<Vec<u8>, SignError> {
    let h = p.names.join(&b':');
    let mut field = Vec::new();
    field.extend_from_slice(b"DKIM-Signature: v=1; a=");
    field.extend_from_slice(key.algorithm().as_bytes());
    field.extend_from_slice(b"; c=relaxed/relaxed; d=");
    field.extend_from_slice(domain);
    field.extend_from_slice(b"; s=");
    field.extend_from_slice(selector);
    field.extend_from_slice(format!(";\n\tt={now}; h=").as_bytes());
    field.extend_from_slice(&h);
    field.extend_from_slice(b";\n\tbh=");
    field.extend_from_slice(&p.bh);
    field.extend_from_slice(b";\n\tb=");
    let mut data = p.header_data.clone();
    let mut own = relaxed_header(&field);
    own.truncate(own.len().saturating_sub(2));
    data.extend_from_slice(&own);
    let sig = match key {
        Key::Rsa(k) => {
            let mut sig = vec![0u8; k.public().modulus_len()];
            k.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), &data, &mut sig)
                .map_err(|_| SignError)?;
            sig
        }
        Key::Ed25519(k) => {
            let mut ctx = Context::new(&SHA256);
            ctx.update(&data);
            k.sign(ctx.finish().as_ref()).as_ref().to_vec()
        }
    };
    field.extend_from_slice(&fold(&base64::encode(&sig)));
    field.push(b'\n');
    Ok(field)
}

/// The DKIM-Signature header field for `msg` (LF line ends), to be put in front of the
/// message. `now`: unix time for t=.
pub fn sign(s: &Signer, msg: &[u8], now: u64) -> Result<Vec<u8>, SignError> {
    finish(s, &prepare(msg), now)
}
