//! The qmail-queue client (qmail.c's role), used by every program that submits mail:
//! qmail-smtpd, qmail-inject, qmail-local (forwards), qmail-send (bounces), the helpers.
//!
//! The message goes to qmail-queue's fd 0, then the envelope (`F…\0`, `T…\0`…, `\0`) to
//! its fd 1. `fail` cancels: the envelope is closed before its final NUL and qmail-queue
//! removes what it wrote. The program run is `$QMAILQUEUE` when set (notqmail), else the
//! first line of `control/qmailqueue` when that file has one (a site's filter for every
//! submitter, whatever its environment: qmail-dkim), else `QMAILHOME/bin/qmail-queue`,
//! always with the qmail home as its working directory.
//!
//! Descriptor 6 of the child is a pipe for notqmail's custom error: a queueing program
//! that exits 82 after writing `D<text>` (permanent) or `Z<text>` (temporary) there has
//! `<text>` shown to the submitter. The text ends at its first CR, LF or NUL, so a filter
//! cannot add lines to an SMTP reply or a bounce.
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;

use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;

use crate::auto;
use crate::exit::QueueExit;

const BUF: usize = 64 * 1024;
/// notqmail keeps at most 255 bytes of a custom error; the rest is read and dropped.
const ERRSTR_MAX: usize = 255;
/// The child's descriptor for the custom error text.
const ERR_FD: i32 = 6;

pub struct Qmail {
    child: Pid,
    mess: Option<Out>,
    env: Option<Out>,
    errs: Option<File>,
    failed: bool,
}

/// A pipe to the queueing program, written in pieces of up to `BUF` bytes like a
/// `BufWriter`, flushed the same way (and when dropped), but with a buffer that grows
/// with what is written: a 64 KiB buffer allocated at once is a mmap and a munmap per
/// message with musl's malloc, for messages that are mostly a few KiB.
struct Out {
    fd: File,
    buf: Vec<u8>,
}

impl Out {
    fn new(fd: File) -> Out {
        Out {
            fd,
            buf: Vec::new(),
        }
    }
}

impl Write for Out {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        if self.buf.len().saturating_add(b.len()) > BUF {
            self.flush()?;
        }
        if b.len() >= BUF {
            return self.fd.write(b);
        }
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.fd.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

impl Drop for Out {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

fn pipe() -> io::Result<(File, File)> {
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(io::Error::from)?;
    Ok((File::from(r), File::from(w)))
}

impl Qmail {
    /// Start qmail-queue. Fails only when control/qmailqueue cannot be read or a pipe
    /// or the process cannot be made.
    pub fn open() -> io::Result<Qmail> {
        Self::open_env(&[])
    }

    /// [`Qmail::open`] with `vars` added to the child's environment (qmail-smtpd after
    /// AUTH: RELAYCLIENT and TCPREMOTEINFO, for a filter behind QMAILQUEUE).
    pub fn open_env(vars: &[(&str, &[u8])]) -> io::Result<Qmail> {
        let home = std::path::Path::new(auto::QMAIL);
        let program = match std::env::var_os("QMAILQUEUE") {
            Some(p) if !p.is_empty() => p.into(),
            _ => match crate::control::readline(home.join("control/qmailqueue"))
                .map_err(|e| io::Error::other(e.to_string()))?
            {
                // A relative name is relative to the qmail home, the child's cwd.
                Some(l) if !l.is_empty() => home.join(std::ffi::OsStr::from_bytes(&l)),
                _ => home.join("bin/qmail-queue"),
            },
        };
        Self::spawn(&program, vars)
    }

    /// Start a given queueing program (QMAILQUEUE's value, or qmail-queue).
    pub fn open_program(program: &std::path::Path) -> io::Result<Qmail> {
        Self::spawn(program, &[])
    }

    fn spawn(program: &std::path::Path, vars: &[(&str, &[u8])]) -> io::Result<Qmail> {
        let (mr, mw) = pipe()?;
        let (er, ew) = pipe()?;
        let (xr, xw) = pipe()?;
        let vars: Vec<(&std::ffi::OsStr, &std::ffi::OsStr)> = vars
            .iter()
            .map(|(k, v)| (std::ffi::OsStr::new(k), std::ffi::OsStr::from_bytes(v)))
            .collect();
        // posix_spawn (vfork-like): no copy of this process's page tables per message.
        let child = qmail_sys::spawn::spawn(
            program,
            std::path::Path::new(auto::QMAIL),
            &vars,
            &[(mr.as_fd(), 0), (er.as_fd(), 1), (xw.as_fd(), ERR_FD)],
        )?;
        // The child's ends close here.
        drop((mr, er, xw));
        Ok(Qmail {
            child,
            mess: Some(Out::new(mw)),
            env: Some(Out::new(ew)),
            errs: Some(xr),
            failed: false,
        })
    }

    /// The pid of the queueing process (the "qp" in log lines and SMTP replies).
    pub fn qp(&self) -> u32 {
        u32::try_from(self.child.as_raw()).unwrap_or(0)
    }

    /// Message bytes. A write error is remembered and reported by `close`.
    pub fn put(&mut self, b: &[u8]) {
        if self.failed {
            return;
        }
        if let Some(m) = self.mess.as_mut() {
            if m.write_all(b).is_err() {
                self.fail();
            }
        }
    }

    /// Message bytes: all of `r`, read in 64 KiB pieces (an interrupted read is retried).
    /// A read error is returned as it is; the caller decides, usually to `fail`.
    pub fn put_reader(&mut self, r: &mut impl Read) -> io::Result<()> {
        let mut buf = vec![0u8; BUF];
        loop {
            match r.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => self.put(buf.get(..n).unwrap_or_default()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Cancel: nothing more is written and qmail-queue sees an envelope without its end.
    pub fn fail(&mut self) {
        self.failed = true;
        self.mess = None;
        self.env = None;
    }

    /// End the message and start the envelope with its sender.
    pub fn from(&mut self, sender: &[u8]) {
        if let Some(mut m) = self.mess.take() {
            if m.flush().is_err() {
                self.fail();
                return;
            }
        }
        self.env_record(b'F', sender);
    }

    /// One recipient.
    pub fn to(&mut self, rcpt: &[u8]) {
        self.env_record(b'T', rcpt);
    }

    fn env_record(&mut self, kind: u8, addr: &[u8]) {
        if self.failed {
            return;
        }
        if let Some(e) = self.env.as_mut() {
            let ok = e.write_all(&[kind]).is_ok()
                && e.write_all(addr).is_ok()
                && e.write_all(&[0]).is_ok();
            if !ok {
                self.fail();
            }
        }
    }

    /// Finish the envelope and wait. `Ok` means queued; `Err` is the report text, whose
    /// first byte says D (permanent) or Z (temporary), as qmail-queue(8) lists them.
    pub fn close(mut self) -> Result<(), String> {
        if let Some(mut e) = self.env.take() {
            if e.write_all(&[0]).is_err() || e.flush().is_err() {
                self.failed = true;
            }
        }
        self.mess = None;
        let errstr = self.errs.take().map(read_errstr).unwrap_or_default();
        let code = loop {
            match waitpid(self.child, None) {
                Ok(WaitStatus::Exited(_, c)) => break u8::try_from(c).unwrap_or(255),
                Ok(WaitStatus::Signaled(..)) => return Err(QueueExit::CRASHED.to_string()),
                // Stopped or continued (not asked for): wait on.
                Ok(_) | Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => return Err(QueueExit::WAITPID_SURPRISE.to_string()),
            }
        };
        match code {
            0 if !self.failed => Ok(()),
            0 => Err(QueueExit::report(QueueExit::ReadErr.code()).to_string()),
            82 if errstr.len() > 2 => Err(errstr),
            c => Err(QueueExit::report(c).to_string()),
        }
    }
}

/// The custom error text from descriptor 6: at most `ERRSTR_MAX` bytes, up to the first
/// CR, LF or NUL; whatever follows is read to the end and dropped, so a talkative program
/// never blocks on a full pipe.
fn read_errstr(mut r: File) -> String {
    let mut kept = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let room = ERRSTR_MAX.saturating_sub(kept.len());
                kept.extend_from_slice(buf.get(..n.min(room)).unwrap_or_default());
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let end = memchr::memchr3(b'\r', b'\n', 0, &kept).unwrap_or(kept.len());
    kept.truncate(end);
    String::from_utf8_lossy(&kept).into_owned()
}
