//! Asking qmail-dkimsign for a signature over its socket (proto: one request, one
//! answer), with deadlines so a stuck signer is a temporary failure, not a hang.
use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use qmail_dkim_core::proto::{Answer, Request, ANSWER_MAX, SOCKET};

/// How long the signer may take to accept, read and answer.
const DEADLINE: Duration = Duration::from_secs(30);

/// The DKIM-Signature field, or the reason there is none.
pub fn sign(home: &Path, req: &Request) -> Result<Vec<u8>, String> {
    let path = home.join(SOCKET);
    let err = |what: &str, e: std::io::Error| {
        format!(
            "{what} qmail-dkimsign at {}: {}",
            path.display(),
            qmail_core::errstr::errstr(&e)
        )
    };
    let mut s = UnixStream::connect(&path).map_err(|e| err("unable to reach", e))?;
    s.set_read_timeout(Some(DEADLINE))
        .and_then(|()| s.set_write_timeout(Some(DEADLINE)))
        .map_err(|e| err("unable to talk to", e))?;
    s.write_all(&req.encode())
        .and_then(|()| s.shutdown(Shutdown::Write))
        .map_err(|e| err("unable to write to", e))?;
    let limit = u64::try_from(ANSWER_MAX)
        .unwrap_or(u64::MAX)
        .saturating_add(16);
    let mut answer = Vec::new();
    s.take(limit)
        .read_to_end(&mut answer)
        .map_err(|e| err("unable to read from", e))?;
    match Answer::decode(&answer) {
        Some(Answer::Signed(field)) => Ok(field),
        Some(Answer::Failed(reason)) => Err(format!(
            "qmail-dkimsign: {}",
            String::from_utf8_lossy(&reason)
        )),
        None if answer.is_empty() => Err("qmail-dkimsign closed the connection".to_string()),
        None => Err("qmail-dkimsign gave a malformed answer".to_string()),
    }
}
