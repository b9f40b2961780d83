//! qmail-tlsd in front (`$TLSCTLFD`): the control socket, by which qmail-smtpd says that
//! STARTTLS was accepted and learns the TLS version and cipher. qmail-smtpd never sees
//! TLS itself; see qmail-tlsd(8) for the protocol.
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use nix::fcntl::{fcntl, FcntlArg, FdFlag};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use qmail_tlsctl::{Reply, ENV_FD, ENV_IMPLICIT, LINE_MAX, START};

use crate::client::Client;

pub struct Engine {
    ctl: UnixStream,
    /// The connection is TLS from the start (-i).
    pub implicit: bool,
}

/// The engine named by the environment; None without `$TLSCTLFD`, Err when it names no
/// usable descriptor.
pub fn from_env() -> Result<Option<Engine>, ()> {
    let Some(v) = std::env::var_os(ENV_FD) else {
        return Ok(None);
    };
    let fd: i32 = v.to_str().and_then(|s| s.parse().ok()).ok_or(())?;
    if fd < 3 {
        return Err(());
    }
    let owned = qmail_sys::fd::take(fd).map_err(|_| ())?;
    // qmail-queue must not inherit it.
    fcntl(
        std::os::fd::AsRawFd::as_raw_fd(&owned),
        FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC),
    )
    .map_err(|_| ())?;
    Ok(Some(Engine {
        ctl: UnixStream::from(owned),
        implicit: std::env::var_os(ENV_IMPLICIT).is_some(),
    }))
}

/// `version cipher`, as the Received line shows it.
fn describe(version: &str, cipher: &str) -> Vec<u8> {
    format!("{version} {cipher}").into_bytes()
}

impl Engine {
    /// The engine's one-line answer, within `timeout`.
    fn reply(&mut self, timeout: Duration) -> Option<Reply> {
        let deadline = Instant::now().checked_add(timeout)?;
        let mut line = Vec::with_capacity(LINE_MAX);
        let mut b = [0u8; 1];
        while line.last() != Some(&b'\n') {
            if line.len() >= LINE_MAX {
                return None;
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            let ms = left.as_micros().div_ceil(1000).max(1);
            let t = PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX);
            let mut fds = [PollFd::new(self.ctl.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, t) {
                Ok(0) => continue,
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => return None,
            }
            match self.ctl.read(&mut b) {
                Ok(0) => return None,
                Ok(_) => line.extend_from_slice(&b),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        }
        Reply::parse(&line).ok()
    }

    /// Implicit TLS: wait for the handshake. The version and cipher, or None when the
    /// engine went away (a failed handshake).
    pub fn implicit_start(&mut self, timeout: Duration) -> Option<Vec<u8>> {
        match self.reply(timeout)? {
            Reply::Tls {
                discard: 0,
                version,
                cipher,
            } => Some(describe(&version, &cipher)),
            _ => None,
        }
    }

    /// STARTTLS was accepted and every earlier reply flushed: switch. Ok(Some) with TLS
    /// on (and fd 0's clear text dropped), Ok(None) when TLS is not available, Err when
    /// the engine or the client is gone.
    pub fn start(&mut self, client: &mut Client, timeout: Duration) -> Result<Option<Vec<u8>>, ()> {
        self.ctl.write_all(&[START]).map_err(|_| ())?;
        // The handshake happens meanwhile; the engine has its own deadline for it.
        match self.reply(timeout.saturating_mul(2)).ok_or(())? {
            Reply::Unavailable => Ok(None),
            Reply::Tls {
                discard,
                version,
                cipher,
            } => {
                if !client.discard_to(discard) {
                    return Err(());
                }
                Ok(Some(describe(&version, &cipher)))
            }
        }
    }
}
