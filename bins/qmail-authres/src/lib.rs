//! qmail-authres: a qmail-queue in front of qmail-queue for mail arriving over SMTP
//! (`QMAILQUEUE` of qmail-smtpd). It reads the message and the envelope as qmail-queue
//! does, verifies the message's DKIM signatures and the SPF of its envelope sender (or
//! of the HELO name for `<>`) against TCPREMOTEIP, puts one Authentication-Results field
//! on top, and becomes the next queueing program: `$AUTHRESQUEUE`, else qmail-queue.
//! Nothing is refused unless control/spfreject or control/dkimreject lists the result.
//! With RELAYCLIENT set (relaying and authenticated clients) or without TCPREMOTEIP it
//! only becomes the next program.
#![forbid(unsafe_code)]

mod header;
mod policy;
mod spool;

use std::ffi::{CString, OsString};
use std::fs::File;
use std::io::{self, Seek, Write};
use std::net::IpAddr;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

use qmail_core::exit::{QueueExit, QQ_EXEC_FAILED};
use qmail_core::fatal::Fatal;
use qmail_core::{auto, control};
use qmail_dkim_core::verify::{KeyFetch, KeySource};
use qmail_dns::Resolver;
use qmail_spf::{check_sender, Dns, DnsFail, Query, ResolverDns};

pub const PROG: &str = "qmail-authres";
/// Time for all of SPF, and again for all DKIM key lookups (RFC 7208 §4.6.4 asks for at
/// least 20 seconds; a client waits 10 minutes for the answer to its final dot).
const DNS_BUDGET: Duration = Duration::from_secs(20);
/// qmail-queue's custom error descriptor (notqmail): `D` or `Z` and the text.
const ERR_FD: i32 = 6;

fn quiet(e: QueueExit) -> Fatal {
    Fatal::quiet(e.code())
}

fn env(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

/// `$AUTHRESQUEUE`, else QMAILHOME/bin/qmail-queue. Never `$QMAILQUEUE`: that is us.
fn next_program() -> OsString {
    match env("AUTHRESQUEUE") {
        Some(p) if !p.is_empty() => p,
        _ => Path::new(auto::QMAIL)
            .join("bin/qmail-queue")
            .into_os_string(),
    }
}

/// Become the next program, with `moves` placed on fds 0 and 1. Never returns; when the
/// exec fails the exit code is the one qmail-smtpd reports as "unable to exec qq".
fn become_next(moves: &[(std::os::fd::BorrowedFd<'_>, i32)]) -> Fatal {
    let next = next_program();
    let Ok(path) = CString::new(next.as_bytes()) else {
        return Fatal::quiet(QQ_EXEC_FAILED);
    };
    qmail_sys::fd::exec_with(
        &path,
        std::slice::from_ref(&path),
        moves,
        i32::from(QQ_EXEC_FAILED),
    )
}

struct Keys(ResolverDns);

impl KeySource for Keys {
    fn fetch(&mut self, name: &[u8]) -> KeyFetch {
        match self.0.txt(name) {
            Ok(r) => KeyFetch::Found(r),
            Err(DnsFail::Void) => KeyFetch::NotFound,
            Err(DnsFail::Temp) => KeyFetch::Temporary,
        }
    }
}

fn list(path: &str, known: &[&str]) -> Result<Vec<String>, Fatal> {
    let lines = control::readfile(path)
        .map_err(|e| Fatal::die(QueueExit::Config.code(), PROG, e.to_string()))?
        .unwrap_or_default();
    policy::parse_list(&lines, known).map_err(|w| {
        Fatal::die(
            QueueExit::Config.code(),
            PROG,
            format!("{path}: unknown result {w}"),
        )
    })
}

/// Refuse: the text on fd 6 and exit 82 (qmail-smtpd shows it to the client); without
/// fd 6, qmail-queue's plain codes for a permanent or temporary refusal.
fn refuse(r: &policy::Refusal) -> Fatal {
    let _ = writeln!(io::stderr(), "{PROG}: refused: {}", r.log);
    let permanent = r.report.starts_with('D');
    if let Ok(fd) = qmail_sys::fd::take(ERR_FD) {
        let mut f = File::from(fd);
        if f.write_all(r.report.as_bytes()).is_ok() {
            return quiet(QueueExit::Custom);
        }
    }
    quiet(if permanent {
        QueueExit::PermRefused
    } else {
        QueueExit::TempRefused
    })
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub fn run() -> Result<(), Fatal> {
    std::env::set_current_dir(auto::QMAIL).map_err(|_| quiet(QueueExit::HomeDir))?;
    let ip = env("TCPREMOTEIP").and_then(|v| v.to_str().and_then(|s| s.parse::<IpAddr>().ok()));
    let ip = match ip {
        Some(ip) if env("RELAYCLIENT").is_none() => ip,
        _ => return Err(become_next(&[])),
    };
    let me = control::readline("control/me")
        .map_err(|e| Fatal::die(QueueExit::Config.code(), PROG, e.to_string()))?
        .ok_or_else(|| Fatal::die(QueueExit::Config.code(), PROG, "control/me is missing"))?;
    let spf_list = list("control/spfreject", policy::SPF_RESULTS)?;
    let dkim_list = list("control/dkimreject", policy::DKIM_RESULTS)?;

    let msg_in = File::from(qmail_sys::fd::take(0).map_err(|_| quiet(QueueExit::ReadErr))?);
    let env_in = File::from(qmail_sys::fd::take(1).map_err(|_| quiet(QueueExit::ReadErr))?);
    let spool_err = |e: spool::SpoolError| match e {
        spool::SpoolError::Read => quiet(QueueExit::ReadErr),
        spool::SpoolError::Write => quiet(QueueExit::WriteErr),
    };
    let mut msg = spool::read_message(msg_in).map_err(spool_err)?;
    let mut envelope = spool::read_envelope(env_in).map_err(spool_err)?;
    let rewind = |f: &mut File| f.rewind().map_err(|_| quiet(QueueExit::WriteErr));
    let Some(sender) = envelope.sender.clone() else {
        // Not a finished envelope (the client went away, or it is malformed): nothing to
        // verify; qmail-queue says what is wrong.
        rewind(&mut msg.body)?;
        rewind(&mut envelope.file)?;
        return Err(pass_on(&mut msg, &mut envelope, None));
    };

    let helo = header::helo_from_received(&msg.head).unwrap_or_default();
    let resolver = Resolver::system();
    let q = Query {
        ip,
        sender: &sender,
        helo: &helo,
        receiver: &me,
        now: now(),
    };
    let no_identity = sender.is_empty() && helo.is_empty();
    let spf = if no_identity {
        qmail_spf::Outcome {
            result: qmail_spf::SpfResult::None,
            explanation: None,
            reason: "no HELO name for the null sender".to_string(),
        }
    } else {
        check_sender(&mut ResolverDns::new(resolver.clone(), DNS_BUDGET), &q)
    };
    let too_large = msg.verifier.is_none();
    let dkim = match msg.verifier.take() {
        Some(v) => v.finish(&mut Keys(ResolverDns::new(resolver, DNS_BUDGET)), now()),
        None => Vec::new(),
    };
    let note = too_large.then_some("header too large");
    let ident = if sender.is_empty() {
        header::Identity::Helo(&helo)
    } else {
        header::Identity::MailFrom(&sender)
    };
    let ar = header::authentication_results(&me, Some((&spf, ident)), &dkim, note);

    let spf_domain = if sender.is_empty() {
        helo.clone()
    } else {
        let at = sender
            .iter()
            .rposition(|&b| b == b'@')
            .map_or(0, |a| a.saturating_add(1));
        sender.get(at..).unwrap_or_default().to_vec()
    };
    let refusal = policy::spf(&spf, &spf_list, &spf_domain, &ip.to_string())
        .or_else(|| policy::dkim(&dkim, too_large, &dkim_list));
    if let Some(r) = refusal {
        return Err(refuse(&r));
    }
    rewind(&mut msg.body)?;
    rewind(&mut envelope.file)?;
    let (head, _) = header::without_forged(&msg.head, &me);
    msg.head = head;
    Err(pass_on(&mut msg, &mut envelope, Some(&ar)))
}

/// Write the message with `ar` on top to a new unnamed file and become the next program
/// with it on fd 0 and the envelope on fd 1.
fn pass_on(msg: &mut spool::Message, envelope: &mut spool::Envelope, ar: Option<&[u8]>) -> Fatal {
    let out = (|| -> io::Result<File> {
        let mut out = spool::tempfile()?;
        let mut w = io::BufWriter::new(&mut out);
        if let Some(ar) = ar {
            w.write_all(ar)?;
        }
        w.write_all(&msg.head)?;
        if msg.blank {
            w.write_all(b"\n")?;
        }
        w.flush()?;
        drop(w);
        // File to file: the kernel copies (copy_file_range), nothing passes through here.
        io::copy(&mut msg.body, &mut out)?;
        out.rewind()?;
        Ok(out)
    })();
    let Ok(out) = out else {
        return quiet(QueueExit::WriteErr);
    };
    become_next(&[(out.as_fd(), 0), (envelope.file.as_fd(), 1)])
}
