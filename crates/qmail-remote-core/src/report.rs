//! Everything qmail-remote tells qmail-rspawn on fd 1 (qmail-remote(8)). The output is a
//! series of NUL-terminated reports: for each recipient, in order, `r` (accepted), `h…`
//! (refused permanently) or `s…` (refused temporarily); then one message report `K…`
//! (delivered), `Z…` (try again later) or `D…` (give up). The texts are interface data:
//! qmail-send logs them and bounce messages quote them, so they live here and only here.
use std::net::IpAddr;

pub const USAGE: &str = "DI (qmail-remote) was invoked improperly. (#5.3.5)\n";
pub const CHDIR: &str = "ZUnable to switch to home directory. (#4.3.0)\n";
pub const CONTROL: &str = "ZUnable to read control files. (#4.3.0)\n";
pub const NOMEM: &str = "ZOut of memory. (#4.3.0)\n";
pub const OSERR: &str = "ZSystem resources temporarily unavailable. (#4.3.0)\n";
pub const NOCONN: &str = "ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n";
pub const READ: &str = "ZUnable to read message. (#4.3.0)\n";
pub const DNS_SOFT: &str = "ZSorry, I couldn't find any host by that name. (#4.1.2)\n";
pub const NOMX: &str = "DSorry, I couldn't find a mail exchanger or IP address. (#5.4.4)\n";
pub const AMBIGMX: &str = "DSorry. Although I'm listed as a best-preference MX or A for that host,\nit isn't in my control/locals file, so I don't treat it as local. (#5.4.6)\n";
pub const LINE_BREAK: &str = "DSorry, an envelope address contains a CR or LF. (#5.1.3)\n";
pub const PARTIAL: &str = "DSMTP cannot transfer messages with partial final lines. (#5.6.2)\n";

/// The report stream, collected in memory and written once at the end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub out: Vec<u8>,
    /// A line about the session's TLS (`TLS: …\n`), added to the message report of a
    /// session once it is encrypted, so qmail-send logs it and bounces quote it.
    pub tls: Vec<u8>,
}

impl Report {
    fn tls_note(&mut self) {
        let note = std::mem::take(&mut self.tls);
        self.out.extend_from_slice(&note);
        self.tls = note;
    }

    /// A temporary failure of TLS on a connected session: `ZConnected to IP but WHY.`
    /// and the server's text, if any. A policy failure is never a bounce: the
    /// certificate or the path may be fixed before the queue lifetime runs out.
    pub fn tls_failed(&mut self, ip: IpAddr, why: &str, text: &[u8]) {
        self.out.extend_from_slice(b"ZConnected to ");
        self.out.extend_from_slice(ip.to_string().as_bytes());
        self.out.extend_from_slice(b" but ");
        self.out.extend_from_slice(why.as_bytes());
        self.out.extend_from_slice(b". (#4.7.5)\n");
        self.said(text);
        self.zero();
    }

    fn zero(&mut self) {
        self.out.push(0);
    }

    /// A complete message report given as text.
    pub fn message(&mut self, text: &str) {
        self.out.extend_from_slice(text.as_bytes());
        self.zero();
    }

    /// `DSorry, I couldn't find any host named HOST. (#5.1.2)`
    pub fn perm_dns(&mut self, host: &[u8]) {
        self.out
            .extend_from_slice(b"DSorry, I couldn't find any host named ");
        self.out.extend(host.iter().map(|&b| match b {
            33..=126 => b,
            _ => b'?',
        }));
        self.out.extend_from_slice(b". (#5.1.2)\n");
        self.zero();
    }

    /// `Remote host said: TEXT` (NULs shown as `?`), nothing when the text is empty.
    fn said(&mut self, text: &[u8]) {
        if text.is_empty() {
            return;
        }
        self.out.extend_from_slice(b"Remote host said: ");
        self.out
            .extend(text.iter().map(|&b| if b == 0 { b'?' } else { b }));
    }

    /// One recipient accepted.
    pub fn rcpt_ok(&mut self) {
        self.out.push(b'r');
        self.zero();
    }

    /// One recipient refused: `h` (permanent) or `s` (temporary).
    pub fn rcpt_refused(&mut self, perm: bool, ip: IpAddr, text: &[u8]) {
        self.out.push(if perm { b'h' } else { b's' });
        self.out.extend_from_slice(ip.to_string().as_bytes());
        self.out.extend_from_slice(b" does not like recipient.\n");
        self.said(text);
        self.zero();
    }

    /// The end of an SMTP session: `PREPEND IP APPEND.\n` and the server's text.
    pub fn quit(&mut self, prepend: &str, ip: IpAddr, append: &str, text: &[u8]) {
        self.out.extend_from_slice(prepend.as_bytes());
        self.out.extend_from_slice(ip.to_string().as_bytes());
        self.out.extend_from_slice(append.as_bytes());
        self.out.extend_from_slice(b".\n");
        self.said(text);
        self.tls_note();
        self.zero();
    }

    /// The connection died (EOF, error or timeout). After the final dot the server may
    /// have the message already, which the report says.
    pub fn dropped(&mut self, ip: IpAddr, critical: bool) {
        self.out.extend_from_slice(b"ZConnected to ");
        self.out.extend_from_slice(ip.to_string().as_bytes());
        self.out.extend_from_slice(b" but connection died. ");
        if critical {
            self.out.extend_from_slice(b"Possible duplicate! ");
        }
        self.out.extend_from_slice(b"(#4.4.2)\n");
        self.tls_note();
        self.zero();
    }
}

/// The ways an SMTP session ends, with qmail's words.
pub mod quit {
    pub const GREETING: (&str, &str) = ("ZConnected to ", " but greeting failed");
    pub const HELO: (&str, &str) = ("ZConnected to ", " but my name was rejected");
    /// A wrong password may be fixed: a temporary failure, with the server's reply.
    pub const AUTH: (&str, &str) = ("ZConnected to ", " but authentication was rejected");
    pub const SENDER_PERM: (&str, &str) = ("DConnected to ", " but sender was rejected");
    pub const SENDER_TEMP: (&str, &str) = ("ZConnected to ", " but sender was rejected");
    pub const NO_RCPT: (&str, &str) = ("DGiving up on ", "");
    pub const DATA_PERM: (&str, &str) = ("D", " failed on DATA command");
    pub const DATA_TEMP: (&str, &str) = ("Z", " failed on DATA command");
    pub const AFTER_PERM: (&str, &str) = ("D", " failed after I sent the message");
    pub const AFTER_TEMP: (&str, &str) = ("Z", " failed after I sent the message");
    pub const ACCEPTED: (&str, &str) = ("K", " accepted message");
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1));

    #[test]
    fn spec_examples() {
        let mut r = Report::default();
        r.rcpt_ok();
        let (p, a) = quit::ACCEPTED;
        r.quit(p, IP, a, b"250 ok\n");
        assert_eq!(
            r.out,
            b"r\0K127.0.0.1 accepted message.\nRemote host said: 250 ok\n\0"
        );
        let mut r = Report::default();
        r.rcpt_refused(true, IP, b"550 5.1.1 no\0such\n");
        let (p, a) = quit::NO_RCPT;
        r.quit(p, IP, a, b"");
        assert_eq!(
            r.out,
            b"h127.0.0.1 does not like recipient.\nRemote host said: 550 5.1.1 no?such\n\0DGiving up on 127.0.0.1.\n\0"
        );
        let mut r = Report::default();
        r.rcpt_refused(false, IP, b"451 later\n");
        r.dropped(IP, true);
        assert_eq!(
            r.out,
            b"s127.0.0.1 does not like recipient.\nRemote host said: 451 later\n\0ZConnected to 127.0.0.1 but connection died. Possible duplicate! (#4.4.2)\n\0"
        );
        let mut r = Report::default();
        r.perm_dns(b"bad host\x80.example");
        assert_eq!(
            r.out,
            b"DSorry, I couldn't find any host named bad?host?.example. (#5.1.2)\n\0"
        );
    }
}
