//! The Authentication-Results field (RFC 8601) and what qmail-authres reads from the
//! header: the HELO name in qmail-smtpd's Received line, and fields claiming our
//! authserv-id that came with the message (§5: they are removed).
use qmail_dkim_core::verify::{Outcome as DkimOutcome, Verdict};
use qmail_spf::{Outcome as SpfOutcome, SpfResult};

/// The longest address or comment text written into the field.
const VALUE_MAX: usize = 254;

/// RFC 2045 token characters (what a pvalue may be without quotes).
fn is_token(b: u8) -> bool {
    b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b)
}

/// A property value: as it is when it is a token or a plain `local@domain`, else a
/// quoted-string; bytes outside printable ASCII become `?`. None when too long.
fn pvalue(v: &[u8]) -> Option<String> {
    if v.is_empty() || v.len() > VALUE_MAX {
        return None;
    }
    let clean: Vec<u8> = v
        .iter()
        .map(|&b| if b.is_ascii_graphic() { b } else { b'?' })
        .collect();
    let plain = match memchr::memrchr(b'@', &clean) {
        Some(at) => clean
            .iter()
            .enumerate()
            .all(|(i, &b)| i == at || is_token(b)),
        None => clean.iter().all(|&b| is_token(b)),
    };
    let s = String::from_utf8_lossy(&clean).into_owned();
    if plain {
        return Some(s);
    }
    let mut q = String::from("\"");
    for c in s.chars() {
        if c == '"' || c == '\\' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    Some(q)
}

/// A comment: printable ASCII, parentheses and backslashes replaced, bounded.
fn comment(text: &str) -> String {
    let mut s: String = text
        .chars()
        .map(|c| match c {
            '(' | ')' | '\\' => '?',
            c if c.is_ascii_graphic() || c == ' ' => c,
            _ => '?',
        })
        .collect();
    s.truncate(VALUE_MAX);
    format!("({s})")
}

/// What SPF looked at: the envelope sender, or the HELO name for `<>`.
pub enum Identity<'a> {
    MailFrom(&'a [u8]),
    Helo(&'a [u8]),
}

/// The whole field, LF line ends, ending in LF: one method result per line.
pub fn authentication_results(
    authserv_id: &[u8],
    spf: Option<(&SpfOutcome, Identity<'_>)>,
    dkim: &[DkimOutcome],
    dkim_note: Option<&str>,
) -> Vec<u8> {
    let id = String::from_utf8_lossy(authserv_id)
        .chars()
        .filter(|&c| is_token(u8::try_from(c).unwrap_or(0)) || c == '@')
        .collect::<String>();
    let id = if id.is_empty() { "unknown".into() } else { id };
    let mut parts: Vec<String> = Vec::new();
    if let Some((o, ident)) = spf {
        let mut p = format!("spf={}", o.result.name());
        if o.result != SpfResult::None || !o.reason.is_empty() {
            p.push(' ');
            p.push_str(&comment(&o.reason));
        }
        let prop = match ident {
            Identity::MailFrom(s) => pvalue(s).map(|v| format!("smtp.mailfrom={v}")),
            Identity::Helo(h) => pvalue(h).map(|v| format!("smtp.helo={v}")),
        };
        if let Some(prop) = prop {
            p.push(' ');
            p.push_str(&prop);
        }
        parts.push(p);
    }
    if dkim.is_empty() {
        let mut p = String::from("dkim=");
        match dkim_note {
            Some(n) => {
                p.push_str(Verdict::PermError.name());
                p.push(' ');
                p.push_str(&comment(n));
            }
            None => p.push_str("none"),
        }
        parts.push(p);
    }
    for o in dkim {
        let mut p = format!("dkim={}", o.verdict.name());
        let mut why = o.reason.clone().unwrap_or_default();
        if o.testing {
            why = if why.is_empty() {
                "key in test mode".into()
            } else {
                format!("{why}; key in test mode")
            };
        }
        if !why.is_empty() {
            p.push(' ');
            p.push_str(&comment(&why));
        }
        if let Some(d) = o.domain.as_deref().and_then(pvalue) {
            p.push_str(&format!(" header.d={d}"));
        }
        if let Some(i) = o.auid.as_deref().and_then(pvalue) {
            p.push_str(&format!(" header.i={i}"));
        }
        if let Some(s) = o.selector.as_deref().and_then(pvalue) {
            p.push_str(&format!(" header.s={s}"));
        }
        if let Some(a) = o.algorithm {
            p.push_str(&format!(" header.a={}", a.name()));
        }
        if let Some(b) = pvalue(o.b.get(..8).unwrap_or(&o.b)) {
            p.push_str(&format!(" header.b={b}"));
        }
        parts.push(p);
    }
    let mut out = format!("Authentication-Results: {id}");
    for p in parts {
        out.push_str(";\n\t");
        out.push_str(&p);
    }
    out.push('\n');
    out.into_bytes()
}

/// The fields of a header section, each with its continuation lines, as byte ranges.
fn fields(header: &[u8]) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = Vec::new();
    let mut start = 0usize;
    let mut pos = 0usize;
    while pos < header.len() {
        let rest = header.get(pos..).unwrap_or_default();
        let end = memchr::memchr(b'\n', rest)
            .map_or(header.len(), |i| pos.saturating_add(i).saturating_add(1));
        let next = header.get(end).copied();
        if !matches!(next, Some(b' ' | b'\t')) {
            out.push(header.get(start..end).unwrap_or_default());
            start = end;
        }
        pos = end;
    }
    out
}

fn name_is(field: &[u8], name: &[u8]) -> bool {
    let colon = memchr::memchr(b':', field).unwrap_or(field.len());
    let n = field.get(..colon).unwrap_or_default();
    let n = n
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(&b""[..], |i| n.get(..=i).unwrap_or_default());
    n.eq_ignore_ascii_case(name)
}

/// The authserv-id of an Authentication-Results field: the first token after the colon
/// and any white space or comments.
fn authserv_id(field: &[u8]) -> Vec<u8> {
    let colon = memchr::memchr(b':', field).map_or(field.len(), |c| c.saturating_add(1));
    let mut v = field.get(colon..).unwrap_or_default();
    loop {
        let trimmed = match v.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => v.get(i..).unwrap_or_default(),
            None => return Vec::new(),
        };
        if trimmed.first() == Some(&b'(') {
            let close =
                memchr::memchr(b')', trimmed).map_or(trimmed.len(), |i| i.saturating_add(1));
            v = trimmed.get(close..).unwrap_or_default();
            continue;
        }
        let end = trimmed
            .iter()
            .position(|&b| b == b';' || b.is_ascii_whitespace() || b == b'(')
            .unwrap_or(trimmed.len());
        return trimmed.get(..end).unwrap_or_default().to_vec();
    }
}

/// The header section without Authentication-Results fields that claim `id` (a sender
/// must not be able to pass off its own results as ours); how many were removed.
pub fn without_forged(header: &[u8], id: &[u8]) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(header.len());
    let mut removed = 0usize;
    for f in fields(header) {
        if name_is(f, b"Authentication-Results") && authserv_id(f).eq_ignore_ascii_case(id) {
            removed = removed.saturating_add(1);
            continue;
        }
        out.extend_from_slice(f);
    }
    (out, removed)
}

/// The HELO name from the Received line qmail-smtpd put on top:
/// `Received: from HOST (HELO name) (...)`, or HOST itself when there is no HELO part
/// (qmail-smtpd leaves it out when the two are equal). None for `unknown`.
pub fn helo_from_received(header: &[u8]) -> Option<Vec<u8>> {
    let f = fields(header)
        .into_iter()
        .find(|f| name_is(f, b"Received"))?;
    let colon = memchr::memchr(b':', f)?;
    let v = f.get(colon.saturating_add(1)..)?;
    let v = v.strip_prefix(b" from ")?;
    let host_end = v.iter().position(|&b| b == b' ' || b == b'\n')?;
    let host = v.get(..host_end)?;
    let rest = v.get(host_end..)?;
    let helo = match rest.strip_prefix(b" (HELO ") {
        Some(h) => h.get(..memchr::memchr(b')', h)?)?,
        None => host,
    };
    (helo != b"unknown" && !helo.is_empty()).then(|| helo.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use qmail_dkim_core::signature::Algorithm;

    #[test]
    fn the_field() {
        let spf = SpfOutcome {
            result: SpfResult::Fail,
            explanation: None,
            reason: "all matched in the record of example.com (x)".into(),
        };
        let dkim = DkimOutcome {
            verdict: Verdict::Pass,
            reason: None,
            domain: Some(b"example.com".to_vec()),
            selector: Some(b"sel".to_vec()),
            auid: Some(b"@example.com".to_vec()),
            algorithm: Some(Algorithm::Ed25519Sha256),
            b: b"ab/dEFGHijkl".to_vec(),
            testing: false,
        };
        let f = authentication_results(
            b"mx.example.net",
            Some((&spf, Identity::MailFrom(b"joe@example.com"))),
            &[dkim],
            None,
        );
        assert_eq!(
            String::from_utf8(f).unwrap(),
            "Authentication-Results: mx.example.net;\n\tspf=fail (all matched in the record of example.com ?x?) smtp.mailfrom=joe@example.com;\n\tdkim=pass header.d=example.com header.i=@example.com header.s=sel header.a=ed25519-sha256 header.b=\"ab/dEFGH\"\n"
        );
        let none = SpfOutcome {
            result: SpfResult::None,
            explanation: None,
            reason: "no SPF record".into(),
        };
        let f = authentication_results(
            b"mx",
            Some((&none, Identity::Helo(b"h.example"))),
            &[],
            None,
        );
        assert_eq!(
            String::from_utf8(f).unwrap(),
            "Authentication-Results: mx;\n\tspf=none (no SPF record) smtp.helo=h.example;\n\tdkim=none\n"
        );
    }

    #[test]
    fn hostile_values_stay_inside_the_field() {
        assert_eq!(
            pvalue(b"a b\n\"c\"@x.example").unwrap(),
            "\"a?b?\\\"c\\\"@x.example\""
        );
        assert_eq!(pvalue(&[b'a'; 300]), None);
        assert_eq!(comment("a)\nb(\\"), "(a??b??)");
    }

    #[test]
    fn forged_results_removed() {
        let h = b"Received: from x\n  by y\nAuthentication-Results: (c) MX.example.net; spf=pass\n\tsmtp.mailfrom=a@b\nAuthentication-Results: other.example; dkim=pass\nSubject: s\n";
        let (out, n) = without_forged(h, b"mx.example.net");
        assert_eq!(n, 1);
        assert_eq!(
            out,
            b"Received: from x\n  by y\nAuthentication-Results: other.example; dkim=pass\nSubject: s\n"
        );
    }

    #[test]
    fn helo_names() {
        let h = b"Received: from unknown (HELO client.example) (192.0.2.7)\n  by mx with SMTP; date\nReceived: from x (HELO y) (z)\n";
        assert_eq!(helo_from_received(h).unwrap(), b"client.example");
        let h = b"Received: from host.example (192.0.2.7)\n  by mx with SMTP; date\n";
        assert_eq!(helo_from_received(h).unwrap(), b"host.example");
        let h = b"Received: from unknown (192.0.2.7)\n  by mx with SMTP; date\n";
        assert_eq!(helo_from_received(h), None);
        assert_eq!(helo_from_received(b"Subject: x\n"), None);
    }
}
