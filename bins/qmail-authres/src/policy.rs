//! The site's rejection rules: control/spfreject and control/dkimreject list results
//! (one a line) that refuse a message. Nothing is listed by default: the results are only
//! written down. A listed temperror refuses temporarily, anything else permanently, with
//! the enhanced status codes of RFC 7372.
use qmail_dkim_core::verify::{Outcome as DkimOutcome, Verdict};
use qmail_spf::{Outcome as SpfOutcome, SpfResult};

pub const SPF_RESULTS: &[&str] = &[
    "none",
    "neutral",
    "pass",
    "fail",
    "softfail",
    "temperror",
    "permerror",
];
pub const DKIM_RESULTS: &[&str] = &[
    "none",
    "pass",
    "fail",
    "neutral",
    "policy",
    "temperror",
    "permerror",
];

/// A refusal: the text for qmail-smtpd (first byte `D` permanent or `Z` temporary, as
/// qmail-queue's custom errors are), and a line for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub report: String,
    pub log: String,
}

/// The words of a list control file, lower case; unknown words are an error (a typo must
/// not silently accept what the site meant to refuse).
pub fn parse_list(lines: &[Vec<u8>], known: &[&str]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for l in lines {
        let w = String::from_utf8_lossy(l).trim().to_ascii_lowercase();
        if !known.contains(&w.as_str()) {
            return Err(w);
        }
        out.push(w);
    }
    Ok(out)
}

/// Printable ASCII only, at most `max` bytes.
fn clean(s: &[u8], max: usize) -> String {
    let mut t: String = s
        .iter()
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                char::from(b)
            } else {
                '?'
            }
        })
        .collect();
    t.truncate(max);
    t
}

pub fn spf(o: &SpfOutcome, list: &[String], domain: &[u8], ip: &str) -> Option<Refusal> {
    let r = o.result.name();
    if !list.iter().any(|l| l == r) {
        return None;
    }
    let domain = clean(domain, 100);
    let (kind, code, why) = match o.result {
        SpfResult::TempError => (
            'Z',
            "4.7.24",
            "temporary DNS failure, try again later".to_string(),
        ),
        SpfResult::PermError => (
            'D',
            "5.7.24",
            "the domain's SPF record is broken".to_string(),
        ),
        _ => {
            let why = match &o.explanation {
                Some(e) => clean(e, 120),
                None => format!("{ip} is not allowed to send mail for {domain}"),
            };
            ('D', "5.7.23", why)
        }
    };
    Some(Refusal {
        report: format!("{kind}SPF {r} for {domain}: {why} (#{code})"),
        log: format!("spf={r} domain={domain} ip={ip}"),
    })
}

/// A message with a passing signature is never refused; otherwise the first listed
/// result among its signatures (`none` when it has none) refuses it.
pub fn dkim(outcomes: &[DkimOutcome], note: bool, list: &[String]) -> Option<Refusal> {
    if outcomes.iter().any(|o| o.verdict == Verdict::Pass) {
        return None;
    }
    let results: Vec<&str> = if outcomes.is_empty() {
        vec![if note { "permerror" } else { "none" }]
    } else {
        outcomes.iter().map(|o| o.verdict.name()).collect()
    };
    let r = results.iter().find(|r| list.iter().any(|l| l == *r))?;
    let d = outcomes
        .iter()
        .find(|o| o.verdict.name() == *r)
        .and_then(|o| o.domain.as_deref())
        .map(|d| clean(d, 100))
        .unwrap_or_default();
    let (kind, code) = if *r == "temperror" {
        ('Z', "4.7.20")
    } else {
        ('D', "5.7.20")
    };
    let what = if d.is_empty() {
        format!("DKIM {r}")
    } else {
        format!("DKIM {r} for {d}")
    };
    Some(Refusal {
        report: format!("{kind}{what}: no valid DKIM signature (#{code})"),
        log: format!("dkim={r} domain={d}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn lists() {
        let l = vec![b"fail".to_vec(), b" SoftFail ".to_vec()];
        assert_eq!(
            parse_list(&l, SPF_RESULTS).unwrap(),
            list(&["fail", "softfail"])
        );
        assert_eq!(
            parse_list(&[b"fial".to_vec()], SPF_RESULTS),
            Err("fial".into())
        );
    }

    #[test]
    fn spf_refusals() {
        let mut o = SpfOutcome {
            result: SpfResult::Fail,
            explanation: None,
            reason: String::new(),
        };
        assert_eq!(
            spf(&o, &list(&["softfail"]), b"example.com", "192.0.2.1"),
            None
        );
        let r = spf(&o, &list(&["fail"]), b"example.com", "192.0.2.1").unwrap();
        assert_eq!(
            r.report,
            "DSPF fail for example.com: 192.0.2.1 is not allowed to send mail for example.com (#5.7.23)"
        );
        o.explanation = Some(b"see http://example.com/\r\nX".to_vec());
        let r = spf(&o, &list(&["fail"]), b"example.com", "192.0.2.1").unwrap();
        assert_eq!(
            r.report,
            "DSPF fail for example.com: see http://example.com/??X (#5.7.23)"
        );
        o.result = SpfResult::TempError;
        let r = spf(&o, &list(&["temperror"]), b"example.com", "192.0.2.1").unwrap();
        assert!(r.report.starts_with("ZSPF temperror"), "{}", r.report);
    }

    #[test]
    fn dkim_refusals() {
        let o = |v: Verdict| DkimOutcome {
            verdict: v,
            reason: None,
            domain: Some(b"example.com".to_vec()),
            selector: None,
            auid: None,
            algorithm: None,
            b: Vec::new(),
            testing: false,
        };
        let l = list(&["fail", "none"]);
        assert!(dkim(&[], false, &l).is_some());
        assert!(dkim(&[], false, &list(&["fail"])).is_none());
        assert!(dkim(&[o(Verdict::Fail), o(Verdict::Pass)], false, &l).is_none());
        let r = dkim(&[o(Verdict::Neutral), o(Verdict::Fail)], false, &l).unwrap();
        assert_eq!(
            r.report,
            "DDKIM fail for example.com: no valid DKIM signature (#5.7.20)"
        );
        let r = dkim(&[o(Verdict::TempError)], false, &list(&["temperror"])).unwrap();
        assert!(r.report.starts_with('Z'));
    }
}
