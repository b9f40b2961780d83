//! Every reply qmail-smtpd sends (qmail-smtpd(8)). These texts are
//! interface data: clients, log scanners and the compliance suite match them byte for byte.

pub const OK: &[u8] = b"250 ok\r\n";
pub const FLUSHED: &[u8] = b"250 flushed\r\n";
pub const GO_AHEAD: &[u8] = b"354 go ahead\r\n";
pub const VRFY: &[u8] = b"252 send some mail, i'll try my best\r\n";
pub const HELP: &[u8] = b"214 notqmail home page: https://notqmail.org\r\n";
pub const UNIMPL: &[u8] = b"502 unimplemented (#5.5.1)\r\n";
pub const WANT_MAIL: &[u8] = b"503 MAIL first (#5.5.1)\r\n";
pub const WANT_RCPT: &[u8] = b"503 RCPT first (#5.5.1)\r\n";
pub const SYNTAX: &[u8] = b"555 syntax error (#5.5.4)\r\n";
pub const BMF: &[u8] = b"553 sorry, your envelope sender is in my badmailfrom list (#5.7.1)\r\n";
pub const NOGATEWAY: &[u8] =
    b"553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)\r\n";
/// control/rcptcheck: qmail-local would bounce this address (qmail-newrcpt(8)).
pub const NOMAILBOX: &[u8] = b"550 sorry, no mailbox here by that name (#5.1.1)\r\n";
pub const QQT: &[u8] = b"451 qqt failure (#4.3.0)\r\n";
pub const HOPS: &[u8] = b"554 too many hops, this message is looping (#5.4.6)\r\n";
pub const SIZE: &[u8] = b"552 sorry, that message size exceeds my databytes limit (#5.3.4)\r\n";
/// A bare LF in DATA: the session ends (SMTP smuggling cannot get a second message in).
pub const STRAY_LF: &[u8] = b"451 See https://cr.yp.to/docs/smtplf.html.\r\n";
pub const LINE_TOO_LONG: &[u8] = b"500 line too long (#5.5.2)\r\n";
pub const TOO_MANY_RCPTS: &[u8] = b"452 too many recipients (#4.5.3)\r\n";
pub const TIMEOUT: &[u8] = b"451 timeout (#4.4.2)\r\n";
pub const CONTROL: &[u8] = b"421 unable to read controls (#4.3.0)\r\n";
pub const IPME: &[u8] = b"421 unable to figure out my IP addresses (#4.3.0)\r\n";
/// STARTTLS while qmail-tlsd has no usable certificate (RFC 3207).
pub const TLS_UNAVAILABLE: &[u8] = b"454 TLS not available due to temporary reason (#4.3.0)\r\n";
/// A second STARTTLS.
pub const TLS_ACTIVE: &[u8] = b"503 TLS already active (#5.5.1)\r\n";
/// STARTTLS takes no parameter (RFC 3207).
pub const TLS_SYNTAX: &[u8] = b"501 Syntax error (no parameters allowed) (#5.5.4)\r\n";
// SMTP AUTH (RFC 4954), in the words of the qmail SMTP AUTH patches.
pub const AUTH_OK: &[u8] = b"235 ok, go ahead (#2.0.0)\r\n";
pub const AUTH_FAILED: &[u8] = b"535 authorization failed (#5.7.0)\r\n";
pub const AUTH_TEMP: &[u8] = b"454 temporary authentication failure (#4.3.0)\r\n";
pub const AUTH_AGAIN: &[u8] = b"503 you're already authenticated (#5.5.0)\r\n";
pub const AUTH_IN_MAIL: &[u8] = b"503 no auth during mail transaction (#5.5.0)\r\n";
pub const AUTH_TYPE: &[u8] = b"504 auth type unimplemented (#5.5.1)\r\n";
pub const AUTH_MALFORMED: &[u8] = b"501 malformed auth input (#5.5.4)\r\n";
pub const AUTH_CANCELLED: &[u8] = b"501 auth exchange cancelled (#5.0.0)\r\n";
pub const AUTH_NEEDS_TLS: &[u8] =
    b"538 encryption required for requested authentication mechanism (#5.7.11)\r\n";
pub const AUTH_REQUIRED: &[u8] = b"530 authentication required (#5.7.0)\r\n";
pub const AUTH_TOO_MANY: &[u8] = b"421 too many authentication failures (#4.7.0)\r\n";
/// A non-ASCII address in a transaction without the SMTPUTF8 parameter (RFC 6531).
pub const NEEDS_SMTPUTF8: &[u8] =
    b"553 sorry, that address needs SMTPUTF8, which MAIL did not give (#5.6.7)\r\n";
pub const NOMEM: &[u8] = b"421 out of memory (#4.3.0)\r\n";

fn line(parts: &[&[u8]]) -> Vec<u8> {
    let mut v = Vec::new();
    for p in parts {
        v.extend_from_slice(p);
    }
    v
}

/// `220 <greeting> ESMTP`
pub fn greet(greeting: &[u8]) -> Vec<u8> {
    line(&[b"220 ", greeting, b" ESMTP\r\n"])
}

/// `250 <greeting>` (HELO)
pub fn helo(greeting: &[u8]) -> Vec<u8> {
    line(&[b"250 ", greeting, b"\r\n"])
}

/// The EHLO answer: the greeting, then one line per extension (qmail's are PIPELINING
/// and 8BITMIME).
pub fn ehlo(greeting: &[u8], extensions: &[&[u8]]) -> Vec<u8> {
    let mut v = line(&[
        b"250",
        if extensions.is_empty() { b" " } else { b"-" },
        greeting,
        b"\r\n",
    ]);
    for (i, e) in extensions.iter().enumerate() {
        let last = i.saturating_add(1) == extensions.len();
        v.extend_from_slice(if last { b"250 " } else { b"250-" });
        v.extend_from_slice(e);
        v.extend_from_slice(b"\r\n");
    }
    v
}

/// `221 <greeting>` (QUIT)
pub fn quit(greeting: &[u8]) -> Vec<u8> {
    line(&[b"221 ", greeting, b"\r\n"])
}

/// `250 ok <unix time> qp <qmail-queue pid>`
pub fn accepted(when: i64, qp: u32) -> Vec<u8> {
    format!("250 ok {when} qp {qp}\r\n").into_bytes()
}

/// A qmail-queue failure report (`D…` permanent → 554, anything else → 451), the text
/// after the letter passed on verbatim.
pub fn qq_failure(report: &[u8]) -> Vec<u8> {
    match report.split_first() {
        Some((b'D', text)) => line(&[b"554 ", text, b"\r\n"]),
        Some((_, text)) => line(&[b"451 ", text, b"\r\n"]),
        None => line(&[b"451 ", b"qq temporary problem (#4.3.0)", b"\r\n"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_replies() {
        assert_eq!(greet(b"mx.example"), b"220 mx.example ESMTP\r\n");
        assert_eq!(helo(b"mx.example"), b"250 mx.example\r\n");
        assert_eq!(
            ehlo(b"mx.example", &[b"PIPELINING", b"8BITMIME"]),
            b"250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
        );
        assert_eq!(quit(b"mx.example"), b"221 mx.example\r\n");
        assert_eq!(accepted(1795999342, 2249), b"250 ok 1795999342 qp 2249\r\n");
        assert_eq!(
            qq_failure(b"Zqq write error or disk full (#4.3.0)"),
            b"451 qq write error or disk full (#4.3.0)\r\n"
        );
        assert_eq!(
            qq_failure(b"Dsorry, no (#5.3.0)"),
            b"554 sorry, no (#5.3.0)\r\n"
        );
    }
}
