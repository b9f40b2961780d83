//! The control channel between the TLS engine (qmail-tlsd) and the program behind it
//! (qmail-smtpd). qmail-tlsd(8) describes it; in short:
//!
//! qmail-tlsd gives qmail-smtpd clear-text pipes as fd 0 and 1 and one end of a socket as
//! the descriptor named by `$TLSCTLFD`. `$TLSIMPLICIT` is set when the whole connection
//! is TLS from the first byte (port 465).
//!
//! - qmail-smtpd → engine: the byte [`START`] once, when it has accepted STARTTLS and
//!   written every earlier reply to fd 1. The engine sends the client those replies and
//!   `220 ready for tls`, then does the handshake.
//! - engine → qmail-smtpd: one line, [`Reply`]: `T<n> <version> <cipher>\n` when TLS is
//!   on (`n` = the clear-text bytes the engine had already put into fd 0; qmail-smtpd
//!   drops whatever of them it has not read yet, so nothing sent before the handshake is
//!   ever taken as sent inside TLS: CVE-2011-0411), or `F\n` when TLS is not available
//!   (no usable certificate): the session goes on in clear text.
//!
//! With `$TLSIMPLICIT` the engine sends `T0 …` as soon as the handshake is done and
//! qmail-smtpd waits for it before its greeting. A failed handshake ends the engine, so
//! qmail-smtpd sees the control socket close.
#![forbid(unsafe_code)]

/// The environment variable that names the control descriptor.
pub const ENV_FD: &str = "TLSCTLFD";
/// Set (to anything) when the connection is TLS from the start.
pub const ENV_IMPLICIT: &str = "TLSIMPLICIT";
/// qmail-smtpd's one message: STARTTLS was accepted.
pub const START: u8 = b'S';
/// The reply the engine sends the client before the handshake (RFC 3207).
pub const READY: &[u8] = b"220 ready for tls\r\n";
/// The longest engine line, LF included.
pub const LINE_MAX: usize = 160;
/// The longest version or cipher name.
const NAME_MAX: usize = 64;

/// The engine's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// TLS is on. `discard`: clear-text bytes put into fd 0 before the switch.
    Tls {
        discard: u64,
        version: String,
        cipher: String,
    },
    /// No TLS (the engine could not load its certificate); go on in clear text.
    Unavailable,
}

/// A line that is not a [`Reply`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadReply;

fn name_ok(s: &[u8]) -> bool {
    !s.is_empty()
        && s.len() <= NAME_MAX
        && s.iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

fn decimal(s: &[u8]) -> Option<u64> {
    // No leading zeros: one number, one spelling.
    if s.is_empty() || s.len() > 20 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if s.len() > 1 && s.first() == Some(&b'0') {
        return None;
    }
    s.iter().try_fold(0u64, |n, &b| {
        n.checked_mul(10)?
            .checked_add(u64::from(b.wrapping_sub(b'0')))
    })
}

impl Reply {
    /// The line, LF included.
    pub fn format(&self) -> Vec<u8> {
        match self {
            Reply::Tls {
                discard,
                version,
                cipher,
            } => format!("T{discard} {version} {cipher}\n").into_bytes(),
            Reply::Unavailable => b"F\n".to_vec(),
        }
    }

    /// Parse one whole line, LF included. Strict: anything else is [`BadReply`].
    pub fn parse(line: &[u8]) -> Result<Reply, BadReply> {
        if line.len() > LINE_MAX {
            return Err(BadReply);
        }
        let body = line.strip_suffix(b"\n").ok_or(BadReply)?;
        match body.split_first() {
            Some((b'F', [])) => Ok(Reply::Unavailable),
            Some((b'T', rest)) => {
                let mut parts = rest.split(|&b| b == b' ');
                let (Some(n), Some(v), Some(c), None) =
                    (parts.next(), parts.next(), parts.next(), parts.next())
                else {
                    return Err(BadReply);
                };
                let discard = decimal(n).ok_or(BadReply)?;
                if !name_ok(v) || !name_ok(c) {
                    return Err(BadReply);
                }
                Ok(Reply::Tls {
                    discard,
                    version: String::from_utf8_lossy(v).into_owned(),
                    cipher: String::from_utf8_lossy(c).into_owned(),
                })
            }
            _ => Err(BadReply),
        }
    }
}

#[cfg(test)]
mod tests;
