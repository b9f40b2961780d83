//! Timed network I/O (qmail's timeoutread, timeoutwrite and timeoutconn).
//!
//! [`Timed`] wraps any descriptor (`Stdin`, `Stdout`, a `TcpStream`, an `OwnedFd`) and gives
//! it `Read` and `Write` where every single read and every single write first waits in
//! `poll` for at most the timeout, or, while a deadline is set ([`Timed::set_deadline`]),
//! until that instant (a write to a socket that can take bytes at once skips the wait). A wait that runs out is `ErrorKind::TimedOut`; EINTR and EAGAIN are
//! retried, so the descriptor may be blocking or non-blocking. Nothing is buffered here:
//! put a `BufReader`/`BufWriter` (or a TLS session) on top.
//!
//! [`connect`] opens a TCP connection, optionally from a given local address, giving up
//! after the timeout with `ErrorKind::TimedOut`. The socket it returns is non-blocking,
//! which is what [`Timed`] wants.
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{
    bind, getsockopt, socket, sockopt, AddressFamily, MsgFlags, SockFlag, SockType, SockaddrIn,
    SockaddrIn6, SockaddrLike,
};

/// A timeout of this many seconds never runs out (a session limited by an alarm instead).
pub const FOREVER: u64 = u64::MAX;

/// The per-operation limit for `secs`; None for no limit.
fn limit(secs: u64) -> Option<Duration> {
    (secs != FOREVER).then(|| Duration::from_secs(secs))
}

/// The instant `limit` from now; None (no limit) when that is beyond what `Instant` holds.
fn from_now(limit: Option<Duration>) -> Option<Instant> {
    Instant::now().checked_add(limit?)
}

/// Wait until `fd` is ready for `events`, or `until` (None: for ever) has passed.
fn wait(fd: BorrowedFd<'_>, events: PollFlags, until: Option<Instant>) -> io::Result<()> {
    loop {
        let timeout = match until {
            None => PollTimeout::NONE,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(io::ErrorKind::TimedOut.into());
                }
                // Rounded up, so a wait never ends just before the instant.
                let ms = left.as_micros().div_ceil(1000);
                PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX)
            }
        };
        let mut fds = [PollFd::new(fd, events)];
        match poll(&mut fds, timeout) {
            // Checked above: poll's longest wait may be shorter than ours.
            Ok(0) => {}
            Ok(_) => return Ok(()),
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// A descriptor whose every read and write waits at most the timeout.
#[derive(Debug)]
pub struct Timed<F> {
    fd: F,
    timeout: Option<Duration>,
    deadline: Option<Instant>,
    /// Writes try a non-blocking send first (false once the descriptor is no socket).
    try_send: bool,
}

impl<F: AsFd> Timed<F> {
    /// `secs` per read or write; [`FOREVER`] for no limit.
    pub fn new(fd: F, secs: u64) -> Timed<F> {
        Timed {
            fd,
            timeout: limit(secs),
            deadline: None,
            try_send: true,
        }
    }

    pub fn set_timeout(&mut self, secs: u64) {
        self.timeout = limit(secs);
    }

    /// Until `deadline` is cleared (None), every read and write waits until that instant
    /// instead of for the timeout: a limit on a whole exchange, not on each piece of it.
    pub fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.deadline = deadline;
    }

    /// The deadline now, or else the timeout from now.
    fn until(&self) -> Option<Instant> {
        self.deadline.or_else(|| from_now(self.timeout))
    }

    pub fn get_ref(&self) -> &F {
        &self.fd
    }

    pub fn into_inner(self) -> F {
        self.fd
    }
}

impl<F: AsFd> Read for Timed<F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            wait(self.fd.as_fd(), PollFlags::POLLIN, self.until())?;
            match nix::unistd::read(self.fd.as_fd().as_raw_fd(), buf) {
                Ok(n) => return Ok(n),
                Err(Errno::EINTR | Errno::EAGAIN) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl<F: AsFd> Write for Timed<F> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // A socket with room for the bytes needs no wait: they are offered without
        // blocking first (MSG_DONTWAIT), and poll runs only when that takes nothing
        // (EAGAIN). Other descriptors (pipes) say ENOTSOCK once and are polled from then
        // on. A deadline already past is still a timeout, as from the poll.
        if self.try_send && self.deadline.map_or(true, |d| Instant::now() < d) {
            let fd = self.fd.as_fd().as_raw_fd();
            match nix::sys::socket::send(fd, buf, MsgFlags::MSG_DONTWAIT) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => return Ok(n),
                Err(Errno::EINTR | Errno::EAGAIN) => {}
                Err(Errno::ENOTSOCK) => self.try_send = false,
                Err(e) => return Err(e.into()),
            }
        }
        loop {
            wait(self.fd.as_fd(), PollFlags::POLLOUT, self.until())?;
            match nix::unistd::write(self.fd.as_fd(), buf) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => return Ok(n),
                Err(Errno::EINTR | Errno::EAGAIN) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Nothing is buffered here.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Connect to `to` (from `from`, port chosen by the kernel, if given) within `secs`.
/// Errors of socket() and bind() come back as they are; a connection not made in time is
/// `ErrorKind::TimedOut`.
pub fn connect(from: Option<IpAddr>, to: SocketAddr, secs: u64) -> io::Result<TcpStream> {
    let family = match to {
        SocketAddr::V4(_) => AddressFamily::Inet,
        SocketAddr::V6(_) => AddressFamily::Inet6,
    };
    let flags = SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC;
    let s = socket(family, SockType::Stream, flags, None)?;
    if let Some(ip) = from {
        sockaddr_do(SocketAddr::new(ip, 0), |a| bind(s.as_raw_fd(), a))?;
    }
    match sockaddr_do(to, |a| nix::sys::socket::connect(s.as_raw_fd(), a)) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(Errno::EINPROGRESS as i32) => {
            wait(s.as_fd(), PollFlags::POLLOUT, from_now(limit(secs)))?;
            let err = getsockopt(&s, sockopt::SocketError)?;
            if err != 0 {
                return Err(io::Error::from_raw_os_error(err));
            }
        }
        Err(e) => return Err(e),
    }
    Ok(TcpStream::from(s))
}

/// Call `f` with `a` as nix's socket address of the right family.
fn sockaddr_do(
    a: SocketAddr,
    f: impl FnOnce(&dyn SockaddrLike) -> nix::Result<()>,
) -> io::Result<()> {
    let r = match a {
        SocketAddr::V4(v4) => f(&SockaddrIn::from(v4)),
        SocketAddr::V6(v6) => f(&SockaddrIn6::from(v6)),
    };
    r.map_err(io::Error::from)
}

#[cfg(test)]
mod tests;
