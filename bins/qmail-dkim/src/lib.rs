//! qmail-dkim: a `QMAILQUEUE` program (qmail-queue's interface: the message on fd 0, the
//! envelope on fd 1, qmail-queue's exit codes) that puts DKIM-Signature header fields on
//! mail from local users and from SMTP clients allowed to relay, then execs the real
//! qmail-queue (`$DKIMQUEUE`, else QMAILHOME/bin/qmail-queue). It holds no key: the
//! body hash and the signed header data go to qmail-dkimsign over its socket, and the
//! signature comes back. See qmail-dkim(8).
#![forbid(unsafe_code)]

mod client;
mod fail;
mod spool;

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use qmail_core::auto;
use qmail_core::control;
use qmail_core::exit::QueueExit;
use qmail_core::fatal::Fatal;
use qmail_dkim_core::body::BodyHasher;
use qmail_dkim_core::canon::split;
use qmail_dkim_core::domains::Domains;
use qmail_dkim_core::proto::Request;
use qmail_dkim_core::signature::Canon;

/// A header bigger than this is not signed (it goes on unsigned, with a log line).
pub const HEADER_MAX: usize = 1 << 20;
const BUF: usize = 64 * 1024;
/// Room for one signature beyond its h= list (which is shorter than the header): tags,
/// domain, selector, bh= and an RSA-8192 b= folded.
const SIG_ROOM: usize = 4096;

/// The hole before a message whose header is `header_len` bytes: room for `n`
/// signatures. A hole in a file costs no disk.
fn hole(n: usize, header_len: usize) -> u64 {
    let one = SIG_ROOM.saturating_add(header_len);
    u64::try_from(n.saturating_mul(one)).unwrap_or(u64::MAX)
}

fn queue_program() -> PathBuf {
    match std::env::var_os("DKIMQUEUE") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => Path::new(auto::QMAIL).join("bin/qmail-queue"),
    }
}

/// Replace this process with the real qmail-queue; `message` and `envelope` replace fd
/// 0 and fd 1 when given. Returns only on failure.
fn exec_queue(message: Option<File>, envelope: Option<File>) -> Fatal {
    let program = queue_program();
    let mut c = Command::new(&program);
    if let Some(m) = message {
        c.stdin(Stdio::from(m));
    }
    if let Some(e) = envelope {
        c.stdout(Stdio::from(e));
    }
    let e = c.exec();
    fail::temporary(
        QueueExit::Bug,
        &format!(
            "unable to run {}: {}",
            program.display(),
            qmail_core::errstr::errstr(&e)
        ),
    )
}

/// Mail is signed when it comes from a local user (no `$TCPREMOTEIP`) or from an SMTP
/// client allowed to relay (`$RELAYCLIENT`, which qmail-smtpd also sets after AUTH).
fn wants_signing() -> bool {
    std::env::var_os("TCPREMOTEIP").is_none() || std::env::var_os("RELAYCLIENT").is_some()
}

fn read_err(e: &io::Error) -> Fatal {
    fail::temporary(
        QueueExit::ReadErr,
        &format!(
            "unable to read the message: {}",
            qmail_core::errstr::errstr(e)
        ),
    )
}

fn write_err(e: &io::Error) -> Fatal {
    fail::temporary(
        QueueExit::WriteErr,
        &format!(
            "unable to write a temporary file: {}",
            qmail_core::errstr::errstr(e)
        ),
    )
}

fn config_err(e: &control::ControlError) -> Fatal {
    fail::temporary(QueueExit::Config, &e.to_string())
}

/// The end of the header in `buf` (searched from `from`, a line start): where the
/// empty line starts and where the body starts.
fn header_end(buf: &[u8], mut from: usize) -> (usize, Option<(usize, usize)>) {
    while let Some(rest) = buf.get(from..) {
        let Some(nl) = memchr::memchr(b'\n', rest) else {
            break;
        };
        let line = rest.get(..nl).unwrap_or_default();
        let next = from.saturating_add(nl).saturating_add(1);
        if line.is_empty() || line == b"\r" {
            return (next, Some((from, next)));
        }
        from = next;
    }
    (from, None)
}

/// What reading the message gave.
struct Read1 {
    spool: spool::Spool,
    /// The header fields (without the empty line), when small enough to sign.
    header: Option<Vec<u8>>,
    bh: Vec<u8>,
}

fn read_message(input: &mut File, sigs: usize) -> Result<Read1, Fatal> {
    let new = |len: usize| spool::Spool::new(hole(sigs, len)).map_err(|e| write_err(&e));
    let mut sp: Option<spool::Spool> = None;
    let mut head = Vec::new();
    let mut scanned = 0usize;
    let mut header: Option<Vec<u8>> = None;
    let mut hasher = BodyHasher::new(Canon::Relaxed, None);
    let mut buf = vec![0u8; BUF];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_err(&e)),
        };
        let chunk = buf.get(..n).unwrap_or_default();
        if let Some(sp) = sp.as_mut() {
            hasher.update(chunk);
            sp.write(chunk).map_err(|e| write_err(&e))?;
            continue;
        }
        head.extend_from_slice(chunk);
        let (next, end) = header_end(&head, scanned);
        scanned = next;
        if let Some((fields_end, body_start)) = end {
            let body = head.get(body_start..).unwrap_or_default();
            hasher.update(body);
            let mut s = new(fields_end)?;
            s.write(&head).map_err(|e| write_err(&e))?;
            sp = Some(s);
            head.truncate(fields_end);
            header = Some(std::mem::take(&mut head));
        } else if head.len() > HEADER_MAX {
            let mut s = new(0)?;
            s.write(&head).map_err(|e| write_err(&e))?;
            sp = Some(s);
            head = Vec::new();
        }
    }
    let spool = match sp {
        Some(s) => s,
        // No empty line: all header, no body.
        None => {
            let mut s = new(head.len())?;
            s.write(&head).map_err(|e| write_err(&e))?;
            header = Some(head);
            s
        }
    };
    Ok(Read1 {
        spool,
        header,
        bh: qmail_dkim_core::base64::encode(&hasher.finish().0),
    })
}

/// The envelope, copied to a file of its own, and its sender.
fn read_envelope() -> Result<(File, Vec<u8>), Fatal> {
    let mut input = File::from(qmail_sys::fd::take(1).map_err(|e| read_err(&e))?);
    let mut out = spool::anonymous().map_err(|e| write_err(&e))?;
    io::copy(&mut input, &mut out).map_err(|e| read_err(&e))?;
    let mut sender = Vec::new();
    {
        use std::io::{Seek, SeekFrom};
        out.seek(SeekFrom::Start(0)).map_err(|e| read_err(&e))?;
        let mut r = (&out).take(1100);
        r.read_to_end(&mut sender).map_err(|e| read_err(&e))?;
        out.seek(SeekFrom::Start(0)).map_err(|e| read_err(&e))?;
    }
    let sender = match sender.strip_prefix(b"F") {
        Some(s) => s
            .get(..memchr::memchr(0, s).unwrap_or(0))
            .unwrap_or_default(),
        None => &[],
    };
    Ok((out, sender.to_vec()))
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn warn(text: &str) {
    use std::io::Write;
    let _ = writeln!(io::stderr().lock(), "qmail-dkim: warning: {text}");
}

pub fn run() -> Fatal {
    if !wants_signing() {
        return exec_queue(None, None);
    }
    let home = Path::new(auto::QMAIL);
    let domains = match control::readfile(home.join("control/dkimdomains")) {
        Ok(Some(lines)) => match Domains::parse(&lines) {
            Ok(d) => d,
            Err(e) => return fail::temporary(QueueExit::Config, &e.to_string()),
        },
        Ok(None) => return exec_queue(None, None),
        Err(e) => return config_err(&e),
    };
    if domains.is_empty() {
        return exec_queue(None, None);
    }
    let unsigned_ok = match control::readint(home.join("control/dkimunsigned"), 0) {
        Ok(n) => n != 0,
        Err(e) => return config_err(&e),
    };
    let mut input = match qmail_sys::fd::take(0) {
        Ok(fd) => File::from(fd),
        Err(e) => return read_err(&e),
    };
    let msg = match read_message(&mut input, domains.most_selectors()) {
        Ok(m) => m,
        Err(f) => return f,
    };
    let Some(header) = msg.header else {
        warn("header too large to sign: sending unsigned");
        return finish(msg.spool, &[], None);
    };
    let (fields, _) = split(&header);
    // A message delivered here once and now forwarded (qmail-local puts Delivered-To
    // on what it forwards) is not ours to vouch for.
    if fields
        .iter()
        .any(|f| f.name.eq_ignore_ascii_case(b"delivered-to"))
    {
        return finish(msg.spool, &[], None);
    }
    let from = fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(b"from"))
        .and_then(|f| qmail_dkim_core::from::from_domain(&f.text));
    let mut envelope = None;
    let mut domain = from.filter(|d| !domains.selectors(d).is_empty());
    if domain.is_none() {
        let (file, sender) = match read_envelope() {
            Ok(x) => x,
            Err(f) => return f,
        };
        envelope = Some(file);
        domain = qmail_dkim_core::from::address_domain(&sender)
            .filter(|d| !domains.selectors(d).is_empty());
    }
    let Some(domain) = domain else {
        return finish(msg.spool, &[], envelope);
    };
    let prepared = qmail_dkim_core::prepare_header(&header, msg.bh);
    let t = now();
    let mut sigs = Vec::new();
    for selector in domains.selectors(&domain) {
        let req = Request {
            domain: domain.clone(),
            selector: selector.to_vec(),
            t,
            prepared: prepared.clone(),
        };
        match client::sign(home, &req) {
            Ok(field) => sigs.extend_from_slice(&field),
            Err(why) => {
                let d = String::from_utf8_lossy(&domain);
                if unsigned_ok {
                    warn(&format!(
                        "{why}: sending unsigned for {d} (control/dkimunsigned)"
                    ));
                    return finish(msg.spool, &[], envelope);
                }
                return fail::temporary(
                    QueueExit::Config,
                    &format!("unable to sign for {d}: {why}"),
                );
            }
        }
    }
    finish(msg.spool, &sigs, envelope)
}

fn finish(sp: spool::Spool, prefix: &[u8], envelope: Option<File>) -> Fatal {
    match sp.finish(prefix) {
        Ok(f) => exec_queue(Some(f), envelope),
        Err(e) => write_err(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::header_end;

    #[test]
    fn header_ends() {
        assert_eq!(header_end(b"A: b\n\nbody", 0), (6, Some((5, 6))));
        assert_eq!(header_end(b"A: b\r\n\r\nbody", 0), (8, Some((6, 8))));
        assert_eq!(header_end(b"\nbody", 0), (1, Some((0, 1))));
        assert_eq!(header_end(b"A: b\nC: d", 0), (5, None));
        assert_eq!(header_end(b"A: b\nC: d\n", 5), (10, None));
    }
}
