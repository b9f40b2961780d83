//! The order in which qmail-local looks for a `.qmail` file for an address (dot-qmail(5),
//! qmail-local(8)). qmail-smtpd's recipient check asks the same question of the recipient
//! database (bins/qmail-newrcpt), so the rule has one home.

/// `ext` lowercased with `.` turned into `:`, so an address cannot name a file outside the
/// `.qmail-` namespace through dots.
pub fn safe_ext(ext: &[u8]) -> Vec<u8> {
    ext.iter()
        .map(|&b| {
            if b == b'.' {
                b':'
            } else {
                b.to_ascii_lowercase()
            }
        })
        .collect()
}

/// A file name qmail-local tries, and what `$DEFAULT` is if that file is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub name: Vec<u8>,
    pub default: Option<Vec<u8>>,
}

const DEFAULT: &[u8] = b"default";

/// The files to try, in order, for `dash` and `ext`.
pub fn candidates(dash: &[u8], ext: &[u8]) -> Vec<Candidate> {
    let safe = safe_ext(ext);
    let name = |part: &[u8], tail: &[u8]| [b".qmail", dash, part, tail].concat();
    let mut out = Vec::new();
    // An exact name that itself ends in "default" still sets $DEFAULT to that word.
    let exact_default = safe.ends_with(DEFAULT).then(|| {
        ext.get(ext.len().saturating_sub(DEFAULT.len())..)
            .unwrap_or(b"")
            .to_vec()
    });
    out.push(Candidate {
        name: name(&safe, b""),
        default: exact_default,
    });
    for i in (0..=safe.len()).rev() {
        let boundary = i == 0 || safe.get(i.wrapping_sub(1)) == Some(&b'-');
        if boundary {
            out.push(Candidate {
                name: name(safe.get(..i).unwrap_or(b""), DEFAULT),
                default: Some(ext.get(i..).unwrap_or(b"").to_vec()),
            });
        }
    }
    out
}
