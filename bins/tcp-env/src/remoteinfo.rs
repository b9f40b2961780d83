//! remoteinfo: an RFC 1413 ident query. Connect from our side's address to the peer's
//! port 113, send `<remote port> , <local port>` CR LF, read one line; the answer is what
//! follows the third colon, without spaces, tabs and CRs, at most 998 bytes. Every step
//! has the timeout; any failure means "no information".
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::Duration;

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{
    bind, connect, getsockopt, socket, sockopt, AddressFamily, SockFlag, SockType, SockaddrIn,
};

const IDENT_PORT: u16 = 113;
/// qmail keeps the answer in a 999-byte C string.
const INFO_MAX: usize = 998;

fn wait(fd: &OwnedFd, flags: PollFlags, timeout: Duration) -> Option<()> {
    let ms = PollTimeout::try_from(timeout).unwrap_or(PollTimeout::MAX);
    loop {
        let mut fds = [PollFd::new(fd.as_fd(), flags)];
        match poll(&mut fds, ms) {
            Ok(0) => return None,
            Ok(_) => return Some(()),
            Err(Errno::EINTR) => continue,
            Err(_) => return None,
        }
    }
}

/// The ident answer for the connection `remote` → `local`, or None.
pub fn get(remote: SocketAddr, local: SocketAddr, timeout: Duration) -> Option<Vec<u8>> {
    let (IpAddr::V4(rip), IpAddr::V4(lip)) = (remote.ip(), local.ip()) else {
        return None;
    };
    let s = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    )
    .ok()?;
    bind(
        s.as_raw_fd(),
        &SockaddrIn::from(std::net::SocketAddrV4::new(lip, 0)),
    )
    .ok()?;
    let to = SockaddrIn::from(std::net::SocketAddrV4::new(rip, IDENT_PORT));
    match connect(s.as_raw_fd(), &to) {
        Ok(()) => {}
        Err(Errno::EINPROGRESS) => {
            wait(&s, PollFlags::POLLOUT, timeout)?;
            if getsockopt(&s, sockopt::SocketError).ok()? != 0 {
                return None;
            }
        }
        Err(_) => return None,
    }
    let query = format!("{} , {}\r\n", remote.port(), local.port()).into_bytes();
    let mut done = 0usize;
    while let Some(rest) = query.get(done..).filter(|r| !r.is_empty()) {
        wait(&s, PollFlags::POLLOUT, timeout)?;
        match nix::unistd::write(&s, rest) {
            Ok(n) if n > 0 => done = done.saturating_add(n),
            Err(Errno::EINTR | Errno::EAGAIN) => {}
            _ => return None,
        }
    }
    let mut answer = Answer::default();
    let mut buf = [0u8; 256];
    loop {
        wait(&s, PollFlags::POLLIN, timeout)?;
        let n = match nix::unistd::read(s.as_raw_fd(), &mut buf) {
            Ok(0) => return None,
            Ok(n) => n,
            Err(Errno::EINTR | Errno::EAGAIN) => continue,
            Err(_) => return None,
        };
        for &ch in buf.get(..n).unwrap_or_default() {
            if answer.byte(ch) {
                return Some(answer.info);
            }
        }
    }
}

/// The reply parser; `byte` returns true when the answer is complete.
#[derive(Default)]
struct Answer {
    colons: u8,
    info: Vec<u8>,
}

impl Answer {
    fn byte(&mut self, ch: u8) -> bool {
        match ch {
            b' ' | b'\t' | b'\r' => false,
            b'\n' => true,
            // An environment variable ends at a NUL: stop there, as qmail's C string did.
            0 if self.colons >= 3 => true,
            _ if self.colons < 3 => {
                if ch == b':' {
                    self.colons = self.colons.saturating_add(1);
                }
                false
            }
            _ => {
                self.info.push(ch);
                self.info.len() >= INFO_MAX
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(reply: &[u8]) -> Option<Vec<u8>> {
        let mut a = Answer::default();
        for &b in reply {
            if a.byte(b) {
                return Some(a.info);
            }
        }
        None
    }

    #[test]
    fn answers() {
        assert_eq!(
            parse(b"6193, 23 : USERID : UNIX : stjohns\r\n"),
            Some(b"stjohns".to_vec())
        );
        assert_eq!(parse(b"1,2:USERID:UNIX:a b:c\r\n"), Some(b"ab:c".to_vec()));
        assert_eq!(parse(b"1,2:ERROR:NO-USER\r\n"), Some(Vec::new()));
        assert_eq!(parse(b"1,2:USERID:UNIX:x"), None, "no newline: no answer");
        let long = [b"1,2:USERID:UNIX:".to_vec(), vec![b'a'; 2000]].concat();
        assert_eq!(parse(&long).map(|v| v.len()), Some(INFO_MAX));
    }
}
