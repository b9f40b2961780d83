//! The relay between the client and prog: clear text until prog sends the STARTTLS byte
//! on the control socket (or TLS from the start with -i), then TLS. Every buffer is
//! bounded: the engine reads from one side only while the other has room.
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::time::Instant;

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use qmail_tlsctl::Reply;
use rustls::ServerConnection;

use crate::io::{nonblocking, read_some, write_some, Got};
use crate::spawn::Fds;
use crate::{cert, log};

const BUF: usize = 16 * 1024;
/// The most client bytes held for prog.
const CAP: usize = 64 * 1024;

/// Why the relay stopped early: the exit code, the event already logged.
type Stop = u8;
const STOP: Stop = 1;

struct Engine {
    net_in: std::fs::File,
    net_out: std::fs::File,
    to_child: Option<std::fs::File>,
    from_child: Option<std::fs::File>,
    ctl: Option<std::os::unix::net::UnixStream>,
    /// Client bytes (clear text) for prog.
    up: Vec<u8>,
    /// prog's bytes for the client, in clear-text mode.
    down: Vec<u8>,
    tls: Option<ServerConnection>,
    /// Clear-text bytes written to prog's fd 0 so far.
    forwarded: u64,
    net_eof: bool,
    closing: bool,
    timeout_secs: u64,
    buf: Vec<u8>,
}

fn poll_timeout(secs: u64) -> PollTimeout {
    PollTimeout::try_from(secs.saturating_mul(1000)).unwrap_or(PollTimeout::MAX)
}

/// Wait until `fd` is ready for `flags` or `deadline` passes (false).
fn wait(fd: &impl AsFd, flags: PollFlags, deadline: Instant) -> bool {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        let ms = u64::try_from(left.as_millis()).unwrap_or(u64::MAX).max(1);
        let t = PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX);
        let mut fds = [PollFd::new(fd.as_fd(), flags)];
        match poll(&mut fds, t) {
            Ok(0) => return false,
            Ok(_) => return true,
            Err(Errno::EINTR) => continue,
            Err(_) => return false,
        }
    }
}

fn ready(r: Option<PollFlags>, want: PollFlags) -> bool {
    r.is_some_and(|f| f.intersects(want | PollFlags::POLLHUP | PollFlags::POLLERR))
}

/// `TLSv1.3` and the suite's IANA-style name.
fn describe(c: &ServerConnection) -> (String, String) {
    let version = match c.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_string(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_string(),
        v => format!("{v:?}"),
    };
    let cipher = c
        .negotiated_cipher_suite()
        .map(|s| format!("{:?}", s.suite()))
        .unwrap_or_else(|| "unknown".into());
    let clean = |s: String| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric() || "_.-".contains(*c))
            .take(64)
            .collect()
    };
    (clean(version), clean(cipher))
}

pub fn run(fds: Fds, implicit: bool, timeout_secs: u64) -> u8 {
    let Fds {
        net_in,
        net_out,
        to_child,
        from_child,
        ctl,
    } = fds;
    for f in [&net_in, &net_out, &to_child, &from_child] {
        if let Err(e) = nonblocking(f) {
            log::line(&format!("fatal: unable to set up descriptors: {e}"));
            return 111;
        }
    }
    // Each reply is one small write after the previous one (the TLS 1.3 session tickets
    // right after the handshake, then the EHLO answer): with Nagle's algorithm the second
    // waits for the client's delayed ACK, 40 ms a session. Not a socket (a test's pipe):
    // nothing to set.
    let _ = nix::sys::socket::setsockopt(&net_out, nix::sys::socket::sockopt::TcpNoDelay, &true);
    let mut eng = Engine {
        net_in,
        net_out,
        to_child: Some(to_child),
        from_child: Some(from_child),
        ctl: Some(ctl),
        up: Vec::new(),
        down: Vec::new(),
        tls: None,
        forwarded: 0,
        net_eof: false,
        closing: false,
        timeout_secs,
        buf: vec![0u8; BUF],
    };
    if implicit {
        let cfg = match cert::load() {
            Ok(c) => c,
            Err(e) => {
                log::line(&format!("fatal: {e}"));
                return 111;
            }
        };
        if let Err(code) = eng.switch(cfg) {
            return code;
        }
    }
    match eng.relay() {
        Ok(()) => 0,
        Err(code) => code,
    }
}

impl Engine {
    fn deadline(&self) -> Instant {
        Instant::now() + std::time::Duration::from_secs(self.timeout_secs.min(86400))
    }

    fn relay(&mut self) -> Result<(), Stop> {
        loop {
            if self.net_eof && self.up.is_empty() {
                // prog reads EOF once it has had everything.
                self.to_child = None;
            }
            let pending_tls = self.tls.as_ref().is_some_and(|c| c.wants_write());
            if self.from_child.is_none() {
                if let Some(c) = self.tls.as_mut() {
                    if !self.closing {
                        c.send_close_notify();
                        self.closing = true;
                        continue;
                    }
                }
                if self.down.is_empty() && !pending_tls {
                    return Ok(());
                }
            }
            let tls_reads = self.tls.as_ref().map_or(true, |c| c.wants_read());
            let want_net_in = !self.net_eof && self.up.len() < CAP && tls_reads;
            let want_net_out = pending_tls || !self.down.is_empty();
            let want_to_child = self.to_child.is_some() && !self.up.is_empty();
            let want_from_child =
                self.from_child.is_some() && !pending_tls && self.down.len() < CAP;
            let want_ctl = self.ctl.is_some() && self.tls.is_none();

            let mut slots: [Option<PollFlags>; 5] = [None; 5];
            {
                let mut pfds = Vec::with_capacity(5);
                let mut which = Vec::with_capacity(5);
                if want_net_in {
                    pfds.push(PollFd::new(self.net_in.as_fd(), PollFlags::POLLIN));
                    which.push(0usize);
                }
                if want_net_out {
                    pfds.push(PollFd::new(self.net_out.as_fd(), PollFlags::POLLOUT));
                    which.push(1);
                }
                if let (true, Some(f)) = (want_to_child, self.to_child.as_ref()) {
                    pfds.push(PollFd::new(f.as_fd(), PollFlags::POLLOUT));
                    which.push(2);
                }
                if let (true, Some(f)) = (want_from_child, self.from_child.as_ref()) {
                    pfds.push(PollFd::new(f.as_fd(), PollFlags::POLLIN));
                    which.push(3);
                }
                if let (true, Some(f)) = (want_ctl, self.ctl.as_ref()) {
                    pfds.push(PollFd::new(f.as_fd(), PollFlags::POLLIN));
                    which.push(4);
                }
                if pfds.is_empty() {
                    // Nothing can move: both sides are gone.
                    return Ok(());
                }
                match poll(&mut pfds, poll_timeout(self.timeout_secs)) {
                    Ok(0) => {
                        log::line(&format!("timeout from {}", log::peer()));
                        return Err(STOP);
                    }
                    Ok(_) => {}
                    Err(Errno::EINTR) => continue,
                    Err(e) => {
                        log::line(&format!("poll: {e}"));
                        return Err(STOP);
                    }
                }
                for (p, &w) in pfds.iter().zip(which.iter()) {
                    if let Some(s) = slots.get_mut(w) {
                        *s = p.revents();
                    }
                }
            }
            let [net_in, net_out, to_child, from_child, ctl] = slots;
            if ready(ctl, PollFlags::POLLIN) {
                self.on_ctl()?;
                continue;
            }
            if ready(net_in, PollFlags::POLLIN) {
                self.on_net_in()?;
            }
            if ready(net_out, PollFlags::POLLOUT) {
                self.on_net_out()?;
            }
            if ready(to_child, PollFlags::POLLOUT) {
                self.on_to_child();
            }
            if ready(from_child, PollFlags::POLLIN) {
                self.on_from_child()?;
            }
        }
    }

    fn on_ctl(&mut self) -> Result<(), Stop> {
        let mut b = [0u8; 1];
        let Some(ctl) = self.ctl.as_mut() else {
            return Ok(());
        };
        match read_some(ctl, &mut b) {
            Ok(Got::Bytes(_)) if b == [qmail_tlsctl::START] => {}
            Ok(Got::Bytes(_)) => {
                log::line("fatal: bad byte on the control socket");
                return Err(111);
            }
            Ok(Got::Again) => return Ok(()),
            Ok(Got::Eof) | Err(_) => {
                self.ctl = None;
                return Ok(());
            }
        }
        self.starttls()
    }

    fn on_net_in(&mut self) -> Result<(), Stop> {
        let Some(conn) = self.tls.as_mut() else {
            match read_some(&mut self.net_in, &mut self.buf) {
                Ok(Got::Bytes(n)) => self
                    .up
                    .extend_from_slice(self.buf.get(..n).unwrap_or_default()),
                Ok(Got::Again) => {}
                Ok(Got::Eof) | Err(_) => self.net_eof = true,
            }
            return Ok(());
        };
        match conn.read_tls(&mut self.net_in) {
            Ok(0) => self.net_eof = true,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(_) => self.net_eof = true,
        }
        if let Err(e) = conn.process_new_packets() {
            log::line(&format!("TLS error from {}: {e}", log::peer()));
            let _ = conn.write_tls(&mut self.net_out);
            return Err(STOP);
        }
        self.pull_plaintext();
        Ok(())
    }

    /// Decrypted client bytes into `up`.
    fn pull_plaintext(&mut self) {
        let Some(conn) = self.tls.as_mut() else {
            return;
        };
        loop {
            match io::Read::read(&mut conn.reader(), &mut self.buf) {
                Ok(0) => {
                    self.net_eof = true;
                    return;
                }
                Ok(n) => self
                    .up
                    .extend_from_slice(self.buf.get(..n).unwrap_or_default()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(_) => {
                    self.net_eof = true;
                    return;
                }
            }
        }
    }

    fn on_net_out(&mut self) -> Result<(), Stop> {
        let r = match self.tls.as_mut() {
            Some(conn) => match conn.write_tls(&mut self.net_out) {
                Ok(_) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
                Err(e) => Err(e),
            },
            None => write_some(&mut self.net_out, &self.down).map(|n| {
                self.down.drain(..n.min(self.down.len()));
            }),
        };
        // The client is gone; prog finds its pipes closed.
        r.map_err(|_| STOP)
    }

    fn on_to_child(&mut self) {
        let Some(f) = self.to_child.as_mut() else {
            return;
        };
        match write_some(f, &self.up) {
            Ok(n) => {
                self.up.drain(..n.min(self.up.len()));
                self.forwarded = self.forwarded.saturating_add(n as u64);
            }
            Err(_) => {
                // prog is gone; what the client still sends goes nowhere.
                self.to_child = None;
                self.up.clear();
            }
        }
    }

    fn on_from_child(&mut self) -> Result<(), Stop> {
        let Some(f) = self.from_child.as_mut() else {
            return Ok(());
        };
        let n = match read_some(f, &mut self.buf) {
            Ok(Got::Bytes(n)) => n,
            Ok(Got::Again) => return Ok(()),
            Ok(Got::Eof) | Err(_) => {
                self.from_child = None;
                return Ok(());
            }
        };
        let data = self.buf.get(..n).unwrap_or_default();
        match self.tls.as_mut() {
            Some(conn) => conn.writer().write_all(data).map_err(|_| STOP),
            None => {
                self.down.extend_from_slice(data);
                Ok(())
            }
        }
    }

    /// prog accepted STARTTLS and has written every earlier reply.
    fn starttls(&mut self) -> Result<(), Stop> {
        // Those replies go out first, in clear text.
        while let Some(f) = self.from_child.as_mut() {
            match read_some(f, &mut self.buf) {
                Ok(Got::Bytes(n)) => self
                    .down
                    .extend_from_slice(self.buf.get(..n).unwrap_or_default()),
                Ok(Got::Again) => break,
                Ok(Got::Eof) | Err(_) => self.from_child = None,
            }
        }
        // Clear text the client sent after STARTTLS that prog has not had: never passed on
        // (prog drops what it already has; CVE-2011-0411).
        self.up.clear();
        let cfg = match cert::load() {
            Ok(c) => c,
            Err(e) => {
                log::line(&format!("TLS unavailable: {e}"));
                return self.tell(&Reply::Unavailable);
            }
        };
        self.down.extend_from_slice(qmail_tlsctl::READY);
        let deadline = self.deadline();
        while !self.down.is_empty() {
            if !wait(&self.net_out, PollFlags::POLLOUT, deadline) {
                log::line(&format!("timeout from {}", log::peer()));
                return Err(STOP);
            }
            self.on_net_out()?;
        }
        self.switch(cfg)
    }

    fn tell(&mut self, r: &Reply) -> Result<(), Stop> {
        let Some(ctl) = self.ctl.as_mut() else {
            return Err(STOP);
        };
        ctl.write_all(&r.format()).map_err(|_| STOP)
    }

    /// The handshake, then TLS for the rest of the connection.
    fn switch(&mut self, cfg: std::sync::Arc<rustls::ServerConfig>) -> Result<(), Stop> {
        let mut conn = ServerConnection::new(cfg).map_err(|e| {
            log::line(&format!("TLS setup: {e}"));
            111
        })?;
        conn.set_buffer_limit(Some(CAP));
        let deadline = self.deadline();
        while conn.is_handshaking() {
            if conn.wants_write() {
                if !wait(&self.net_out, PollFlags::POLLOUT, deadline) {
                    log::line(&format!("timeout in TLS handshake from {}", log::peer()));
                    return Err(STOP);
                }
                match conn.write_tls(&mut self.net_out) {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => return Err(STOP),
                }
                continue;
            }
            if !wait(&self.net_in, PollFlags::POLLIN, deadline) {
                log::line(&format!("timeout in TLS handshake from {}", log::peer()));
                return Err(STOP);
            }
            match conn.read_tls(&mut self.net_in) {
                Ok(0) => {
                    log::line(&format!("TLS handshake not finished by {}", log::peer()));
                    return Err(STOP);
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return Err(STOP),
            }
            if let Err(e) = conn.process_new_packets() {
                log::line(&format!("TLS handshake failed with {}: {e}", log::peer()));
                let _ = conn.write_tls(&mut self.net_out);
                return Err(STOP);
            }
        }
        let (version, cipher) = describe(&conn);
        log::line(&format!("{version} {cipher} from {}", log::peer()));
        self.tls = Some(conn);
        self.tell(&Reply::Tls {
            discard: self.forwarded,
            version,
            cipher,
        })?;
        self.pull_plaintext();
        Ok(())
    }
}
