//! `control/tlsdestinations`: which destinations must get verified TLS, and which must
//! never get TLS, in the syntax of the qmail TLS patches (s/qmail, spamcontrol) so an
//! existing file keeps its meaning. One entry per line:
//!
//! - `host:cafile[:ciphers[:port]]` (or `=host:…`): TLS is required and the server's
//!   certificate must chain to a CA in `cafile` (empty: the system's CA store) and name
//!   the server. Anything less defers the message; it is never sent in clear.
//! - `-host` (or `!host`): never STARTTLS to `host` (plain SMTP, as qmail 1.03).
//! - `*:cafile…`: the entry for every host no other line names.
//!
//! `host` is a name (matched without regard to case) or `.suffix` for every name ending
//! in `.suffix`. Lines starting with `#` and empty lines are skipped. The `ciphers`
//! field is accepted and not used (the TLS library allows only its own safe suites);
//! `port`, when present, must be a number up to 65535 and is not used either.
//! A line that fits none of these forms makes the whole file unusable: mail waits
//! (a temporary failure) rather than a misread line letting it go out in clear.
use crate::route;

/// What a destination gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Level {
    /// STARTTLS when offered; the certificate is checked and the result reported, but a
    /// failure does not stop delivery. The default with no entry.
    Opportunistic,
    /// Never STARTTLS.
    Never,
    /// TLS with a certificate that verifies against `cafile` (None: the system store)
    /// for the server's name, or no delivery.
    Verified { cafile: Option<Vec<u8>> },
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// (lower-cased host or `.suffix`, level), later lines first so the last line for
    /// a name counts, as in the other control files.
    entries: Vec<(Vec<u8>, Level)>,
    default: Option<Level>,
}

/// The 1-based number of the first line that is not a valid entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadLine(pub usize);

/// Parse the lines of the file (as `control::readfile` gives them, trailing blanks gone).
pub fn parse(lines: &[Vec<u8>]) -> Result<Policy, BadLine> {
    let mut p = Policy::default();
    for (i, line) in lines.iter().enumerate() {
        let bad = BadLine(i.saturating_add(1));
        let line = line.as_slice();
        if line.is_empty() || line.first() == Some(&b'#') {
            continue;
        }
        let (host, level) = entry(line).ok_or(bad)?;
        if host == b"*" {
            p.default = Some(level);
        } else {
            p.entries.push((host.to_ascii_lowercase(), level));
        }
    }
    p.entries.reverse();
    Ok(p)
}

fn valid_host(h: &[u8]) -> bool {
    !h.is_empty()
        && h != b"."
        && h.iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'[' | b']'))
}

fn valid_port(p: &[u8]) -> bool {
    p.len() <= 5
        && p.iter().all(u8::is_ascii_digit)
        && p.iter()
            .fold(0u32, |n, &d| n * 10 + u32::from(d.wrapping_sub(b'0')))
            <= 65535
}

fn entry(line: &[u8]) -> Option<(&[u8], Level)> {
    if let Some(host) = line.strip_prefix(b"-").or_else(|| line.strip_prefix(b"!")) {
        // `-host` may carry fields from an old line; they mean nothing without TLS.
        let host = host.split(|&b| b == b':').next().unwrap_or_default();
        return valid_host(host).then_some((host, Level::Never));
    }
    let line = line.strip_prefix(b"=").unwrap_or(line);
    let mut fields = line.split(|&b| b == b':');
    let host = fields.next()?;
    let cafile = fields.next()?;
    let _ciphers = fields.next();
    if let Some(port) = fields.next() {
        if !port.is_empty() && !valid_port(port) {
            return None;
        }
    }
    if fields.next().is_some() {
        return None;
    }
    if host != b"*" && !valid_host(host) {
        return None;
    }
    if cafile.iter().any(|&b| b < 0x21 || b == 0x7f) {
        return None;
    }
    let cafile = (!cafile.is_empty()).then(|| cafile.to_vec());
    Some((host, Level::Verified { cafile }))
}

impl Policy {
    /// The level for a connection to `names` (most specific first: the smarthost, then
    /// the destination domain). Each name is tried exactly, then by its `.suffix`
    /// keys from longest to shortest; then the `*` entry; then opportunistic.
    pub fn lookup(&self, names: &[&[u8]]) -> Level {
        for name in names {
            let name = name.to_ascii_lowercase();
            for key in route::keys(&name).filter(|k| !k.is_empty()) {
                if let Some((_, level)) = self.entries.iter().find(|(k, _)| k == key) {
                    return level.clone();
                }
            }
        }
        self.default.clone().unwrap_or(Level::Opportunistic)
    }
}

#[cfg(test)]
mod tests;
