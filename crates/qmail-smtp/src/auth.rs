//! SMTP AUTH (RFC 4954) with PLAIN (RFC 4616) and LOGIN: the base64 the client sends and
//! the name and password in it. Everything here is untrusted input: strict decoding,
//! bounded sizes, no panics (fuzz target `smtp_auth`).

/// The longest decoded response (RFC 4954 allows 12288 octets of base64 per line; a name
/// and password never need that much).
pub const RESPONSE_MAX: usize = 1024;

/// The mechanisms offered, as EHLO lists them.
pub const MECHANISMS: &[u8] = b"AUTH LOGIN PLAIN";

/// `334 ` prompts of LOGIN: `Username:` and `Password:` in base64.
pub const LOGIN_USER: &[u8] = b"334 VXNlcm5hbWU6\r\n";
pub const LOGIN_PASS: &[u8] = b"334 UGFzc3dvcmQ6\r\n";
/// PLAIN without an initial response: an empty challenge.
pub const PLAIN_GO: &[u8] = b"334 \r\n";

fn value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Strict base64 (RFC 4648 §4): padded to a multiple of four, no white space, no bits
/// set past the end. None for anything else or more than [`RESPONSE_MAX`] bytes.
pub fn decode(s: &[u8]) -> Option<Vec<u8>> {
    if s.len() % 4 != 0 || s.len() / 4 * 3 > RESPONSE_MAX.saturating_add(2) {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let quads = s.len() / 4;
    for (i, q) in s.chunks_exact(4).enumerate() {
        let last = i.saturating_add(1) == quads;
        let &[a, b, c, d] = q else {
            return None;
        };
        let (a, b) = (value(a)?, value(b)?);
        out.push((a << 2) | (b >> 4));
        match (c, d) {
            (b'=', b'=') if last => {
                if b & 0x0f != 0 {
                    return None;
                }
            }
            (c, b'=') if last => {
                let c = value(c)?;
                if c & 0x03 != 0 {
                    return None;
                }
                out.push((b << 4) | (c >> 2));
            }
            (c, d) => {
                let (c, d) = (value(c)?, value(d)?);
                out.push((b << 4) | (c >> 2));
                out.push((c << 6) | d);
            }
        }
    }
    if out.len() > RESPONSE_MAX {
        return None;
    }
    Some(out)
}

/// The name and password of a PLAIN response: `authzid NUL authcid NUL passwd`. An
/// authorization identity other than the authentication identity is refused (None):
/// nobody may act for somebody else.
pub fn plain(resp: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut parts = resp.splitn(3, |&b| b == 0);
    let (authz, user, pass) = (parts.next()?, parts.next()?, parts.next()?);
    if !authz.is_empty() && authz != user {
        return None;
    }
    credentials(user, pass)
}

/// A name and password fit for checkpassword: both non-empty, no NUL.
pub fn credentials(user: &[u8], pass: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    if user.is_empty() || pass.is_empty() || user.contains(&0) || pass.contains(&0) {
        return None;
    }
    Some((user.to_vec(), pass.to_vec()))
}

#[cfg(test)]
mod tests;
