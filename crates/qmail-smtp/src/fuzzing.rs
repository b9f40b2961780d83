//! Fuzz targets and the in-memory driver they share with the unit tests.
//!
//! `fuzz_command` and `fuzz_data` are plain functions so that the fuzz workspace (fuzz/)
//! can wrap them in `fuzz_target!`. Both panic (through `assert!`) only when a property
//! fails: that is what a fuzzer reports.
use crate::addr::LocalIpHost;
use crate::badmailfrom::Badmailfrom;
use crate::blast::{Blast, Step};
use crate::rcpthosts::RcptHosts;
use crate::received::Peer;
use crate::session::{Action, AuthResult, Config, Session, LINE_MAX, RCPT_BYTES_MAX, RCPT_MAX};
use std::collections::VecDeque;

/// Unix time the driver reports to the session (2026-11-27 00:02:22 UTC).
pub const NOW: i64 = 1_795_737_742;
/// The qmail-queue pid the driver reports.
pub const QP: u32 = 4242;
/// What the simulated qmail-queue says after the submission was failed.
pub const QQ_FAILED: &[u8] = b"Zqq write error or disk full (#4.3.0)";

/// The TLS version and cipher the simulated qmail-tlsd reports.
pub const TLS: &[u8] = b"TLSv1.3 TLS13_AES_256_GCM_SHA384";

/// A message handed to the simulated qmail-queue.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Submission {
    pub message: Vec<u8>,
    pub sender: Vec<u8>,
    pub recipients: Vec<Vec<u8>>,
    pub failed: bool,
    pub closed: bool,
    pub aborted: bool,
    /// What qmail-queue's environment gained (after AUTH).
    pub env: Vec<(&'static str, Vec<u8>)>,
}

/// Everything a session did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transcript {
    pub replies: Vec<u8>,
    pub submissions: Vec<Submission>,
    pub exit: Option<u8>,
}

impl Transcript {
    /// The messages that would be in the queue now.
    pub fn queued(&self) -> Vec<&Submission> {
        self.submissions
            .iter()
            .filter(|s| s.closed && !s.failed && !s.aborted)
            .collect()
    }
}

/// A configuration for tests: greeting `cmp.example`, rcpthosts `cmp.example`.
pub fn test_config() -> Config {
    Config {
        greeting: b"cmp.example".to_vec(),
        localiphost: Some(LocalIpHost {
            name: b"cmp.example".to_vec(),
            ips: vec![qmail_net::ip::Ip4([127, 0, 0, 1])],
            ips6: vec![std::net::Ipv6Addr::LOCALHOST],
        }),
        rcpthosts: RcptHosts::new(vec![b"cmp.example".to_vec()], None),
        badmailfrom: Badmailfrom::new(vec![b"@bad.example".to_vec()]),
        databytes: 0,
        relayclient: None,
        peer: Peer {
            remoteip: b"127.0.0.1".to_vec(),
            local: b"cmp.example".to_vec(),
            ..Peer::default()
        },
        starttls: false,
        tls: None,
        auth: false,
        auth_clear: false,
        submission: false,
        rcptcheck: None,
    }
}

/// [`test_config`] behind qmail-tlsd: STARTTLS offered, and AUTH once encrypted (the
/// simulated checkpassword knows alice, password secret; `temp` fails temporarily).
pub fn tls_config() -> Config {
    Config {
        starttls: true,
        auth: true,
        ..test_config()
    }
}

/// AUTH decoding target: any bytes never panic, as base64, as a PLAIN response or as the
/// lines after any AUTH command.
pub fn fuzz_auth(data: &[u8]) {
    if let Some(p) = crate::auth::decode(data) {
        let _ = crate::auth::plain(&p);
    }
    let cfg = || Config {
        auth_clear: true,
        ..tls_config()
    };
    for cmd in [
        &b"AUTH PLAIN\r\n"[..],
        b"AUTH LOGIN\r\n",
        b"AUTH LOGIN YWxpY2U=\r\n",
    ] {
        let mut input = cmd.to_vec();
        input.extend_from_slice(data);
        input.extend_from_slice(b"\r\nMAIL FROM:<a@b>\r\n");
        let t = drive(cfg(), &[&input], true);
        assert!(t.exit.is_some(), "the session did not end");
    }
}

/// Carry out the actions with an in-memory qmail-queue that accepts every submission
/// that was not failed. `fail_open` makes qmail-queue impossible to start.
pub fn carry_out(session: &mut Session, acts: Vec<Action>, t: &mut Transcript, fail_open: bool) {
    let mut todo: VecDeque<Action> = acts.into();
    while let Some(a) = todo.pop_front() {
        let more = match a {
            Action::Reply(r) => {
                t.replies.extend_from_slice(&r);
                Vec::new()
            }
            Action::QueueOpen => {
                if fail_open {
                    session.on_queue_open(None, NOW)
                } else {
                    t.submissions.push(Submission {
                        env: session.queue_env(),
                        ..Submission::default()
                    });
                    session.on_queue_open(Some(QP), NOW)
                }
            }
            Action::QueuePut(b) => {
                if let Some(s) = t.submissions.last_mut() {
                    s.message.extend_from_slice(&b);
                }
                Vec::new()
            }
            Action::QueueFail => {
                if let Some(s) = t.submissions.last_mut() {
                    s.failed = true;
                }
                Vec::new()
            }
            Action::QueueClose { sender, recipients } => {
                assert!(recipients.len() <= RCPT_MAX, "too many recipients kept");
                let bytes: usize = recipients.iter().map(Vec::len).sum();
                assert!(bytes <= RCPT_BYTES_MAX, "recipients take too much");
                let mut failed = true;
                if let Some(s) = t.submissions.last_mut() {
                    s.sender = sender;
                    s.recipients = recipients;
                    s.closed = true;
                    failed = s.failed;
                }
                let r = if failed { Err(QQ_FAILED) } else { Ok(()) };
                session.on_queue_close(r, NOW)
            }
            Action::QueueAbort => {
                if let Some(s) = t.submissions.last_mut() {
                    s.aborted = true;
                }
                Vec::new()
            }
            Action::StartTls => session.on_tls(Some(TLS.to_vec())),
            Action::CheckPassword { user, pass } => {
                let r = if user == b"alice" && pass == b"secret" {
                    AuthResult::Ok
                } else if user == b"temp" {
                    AuthResult::Temp
                } else {
                    AuthResult::Bad
                };
                session.on_auth(r)
            }
            Action::Exit(c) => {
                t.exit = Some(c);
                Vec::new()
            }
        };
        for m in more.into_iter().rev() {
            todo.push_front(m);
        }
    }
}

/// Run a whole session: greeting, the chunks in order, then EOF if `eof`. After each
/// chunk the session may keep no more than one unfinished command line.
pub fn drive(cfg: Config, chunks: &[&[u8]], eof: bool) -> Transcript {
    let mut s = Session::new(cfg);
    let mut t = Transcript::default();
    let g = s.greet();
    carry_out(&mut s, g, &mut t, false);
    for c in chunks {
        let acts = s.on_bytes(c);
        carry_out(&mut s, acts, &mut t, false);
        assert!(s.buffered() <= LINE_MAX, "{} bytes kept", s.buffered());
    }
    if eof && !s.is_done() {
        let acts = s.on_eof();
        carry_out(&mut s, acts, &mut t, false);
    }
    t
}

/// Command loop target: any input never panics, and cutting it in two anywhere gives the
/// same transcript as feeding it at once. Behind qmail-tlsd (STARTTLS offered) the cut
/// matters, as it should: what follows STARTTLS in the same read is dropped. There the
/// target checks that nothing panics and that the session ends.
pub fn fuzz_command(data: &[u8]) {
    let whole = drive(test_config(), &[data], true);
    let cut = usize::from(data.first().copied().unwrap_or(0)) % data.len().saturating_add(1);
    let (a, b) = data.split_at(cut);
    let split = drive(test_config(), &[a, b], true);
    assert_eq!(whole, split, "split at {cut} changed the session");
    let tls = drive(tls_config(), &[a, b], true);
    assert!(
        tls.exit.is_some(),
        "a session behind qmail-tlsd did not end"
    );
}

/// MAIL/RCPT argument target: addrparse never panics, and what it accepts fits in
/// ADDR_MAX and holds no CR (no line break may reach a header or the wire).
pub fn fuzz_address(data: &[u8]) {
    use crate::addr::{addrparse, LocalIpHost, ADDR_MAX};
    let l = LocalIpHost {
        name: b"cmp.example".to_vec(),
        ips: vec![qmail_net::ip::Ip4([127, 0, 0, 1])],
        ips6: vec![std::net::Ipv6Addr::LOCALHOST],
    };
    for liphost in [None, Some(&l)] {
        if let Some(a) = addrparse(data, liphost) {
            assert!(a.len() <= ADDR_MAX, "{} bytes", a.len());
            assert!(!a.contains(&b'\r'), "CR in {a:?}");
            assert!(
                !a.contains(&b'\n') || data.contains(&b'\n'),
                "LF from nowhere"
            );
        }
    }
}

/// What a correct client sends for message `m`: LF → CR LF, leading dots doubled, end
/// marker.
pub fn stuff(m: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(m.len().saturating_add(8));
    let mut at_start = true;
    for &b in m {
        if at_start && b == b'.' {
            out.push(b'.');
        }
        at_start = b == b'\n';
        if b == b'\n' {
            out.extend_from_slice(b"\r\n");
        } else {
            out.push(b);
        }
    }
    if !at_start {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// DATA target: raw input never panics; and, taking the input as a message, unstuffing
/// is the exact inverse of stuffing.
pub fn fuzz_data(data: &[u8]) {
    let mut out = Vec::new();
    let _ = Blast::new(0).feed(data, &mut out);

    let wire = stuff(data);
    let mut decoded = Vec::new();
    let (n, step) = Blast::new(0).feed(&wire, &mut decoded);
    let mut expect = data.to_vec();
    if !expect.is_empty() && expect.last() != Some(&b'\n') {
        expect.push(b'\n');
    }
    assert_eq!(step, Step::End);
    assert_eq!(n, wire.len());
    assert_eq!(decoded, expect);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_run() {
        fuzz_command(b"");
        fuzz_command(
            b"HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@cmp.example>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n",
        );
        fuzz_address(b"TO:<a\r@b>");
        fuzz_address(b"FROM:<\"x y\"@[127.0.0.1]> SIZE=1");
        fuzz_data(b"");
        fuzz_data(b".\r\n..\n\r\r.\rx");
    }
}
