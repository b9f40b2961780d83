//! SMTP AUTH to a smarthost (RFC 4954) with the PLAIN (RFC 4616) and LOGIN mechanisms:
//! `control/smtpauth` and the texts sent.
//!
//! `control/smtpauth` holds one line per relay: `relay|user|password`. `relay` is the
//! relay of a `control/smtproutes` entry, as written there (matched without regard to
//! case); the password is everything after the second `|`, so it may hold `|` itself.
//! Empty lines and lines starting with `#` are skipped; a later line for the same relay
//! replaces an earlier one.

#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: Vec<u8>,
    pub password: Vec<u8>,
}

impl std::fmt::Debug for Credentials {
    // A password never reaches a log or a panic message.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &String::from_utf8_lossy(&self.user))
            .finish_non_exhaustive()
    }
}

/// The 1-based number of the first line that is not `relay|user|password`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadLine(pub usize);

/// The credentials for `relay`, if the file has a line for it.
pub fn lookup(lines: &[Vec<u8>], relay: &[u8]) -> Result<Option<Credentials>, BadLine> {
    let mut found = None;
    for (i, line) in lines.iter().enumerate() {
        if line.is_empty() || line.first() == Some(&b'#') {
            continue;
        }
        let mut parts = line.splitn(3, |&b| b == b'|');
        let (Some(host), Some(user), Some(password)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(BadLine(i.saturating_add(1)));
        };
        if host.is_empty() || user.is_empty() || user.contains(&0) || password.contains(&0) {
            return Err(BadLine(i.saturating_add(1)));
        }
        if host.eq_ignore_ascii_case(relay) {
            found = Some(Credentials {
                user: user.to_vec(),
                password: password.to_vec(),
            });
        }
    }
    Ok(found)
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 (RFC 4648 §4, with padding).
pub fn base64(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len().div_ceil(3).saturating_mul(4));
    let sym = |v: u32| ALPHABET.get((v & 63) as usize).copied().unwrap_or(b'=');
    for chunk in data.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        out.push(sym(n >> 18));
        out.push(sym(n >> 12));
        out.push(if chunk.len() > 1 { sym(n >> 6) } else { b'=' });
        out.push(if chunk.len() > 2 { sym(n) } else { b'=' });
    }
    out
}

/// The initial response of AUTH PLAIN: base64 of NUL user NUL password (no authzid).
pub fn plain(c: &Credentials) -> Vec<u8> {
    let mut raw = Vec::with_capacity(
        c.user
            .len()
            .saturating_add(c.password.len())
            .saturating_add(2),
    );
    raw.push(0);
    raw.extend_from_slice(&c.user);
    raw.push(0);
    raw.extend_from_slice(&c.password);
    base64(&raw)
}

#[cfg(test)]
mod tests;
