//! One query to one server: UDP (a fresh socket on a kernel-chosen port, connected so
//! that datagrams from other addresses are dropped by the kernel), or TCP with the
//! two-byte length prefix (RFC 1035 §4.2.2). Answers that are not the answer to our
//! question (wrong id, wrong question, unparsable) are ignored and the wait goes on
//! until the deadline.
use crate::name::Name;
use crate::packet::{Message, PACKET_MAX};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub enum Failure {
    Timeout,
    /// Refused, reset, unreachable, a bad TCP answer: this server is no use now.
    Other,
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Failure::Timeout,
            _ => Failure::Other,
        }
    }
}

fn remaining(deadline: Instant) -> Result<Duration, Failure> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(Failure::Timeout)
    } else {
        Ok(left)
    }
}

pub fn udp(
    server: SocketAddr,
    query: &[u8],
    id: u16,
    name: &Name,
    qtype: u16,
    timeout: Duration,
) -> Result<Message, Failure> {
    let deadline = Instant::now() + timeout;
    let local: SocketAddr = match server {
        SocketAddr::V4(_) => SocketAddr::from(([0, 0, 0, 0], 0)),
        SocketAddr::V6(_) => SocketAddr::from(([0u16; 8], 0)),
    };
    let sock = UdpSocket::bind(local)?;
    sock.connect(server)?;
    sock.send(query)?;
    let mut buf = vec![0u8; PACKET_MAX];
    loop {
        sock.set_read_timeout(Some(remaining(deadline)?))?;
        let n = sock.recv(&mut buf)?;
        let Some(pkt) = buf.get(..n) else { continue };
        if let Ok(m) = Message::parse(pkt) {
            if m.answers_query(id, name, qtype) {
                return Ok(m);
            }
        }
    }
}

pub fn tcp(
    server: SocketAddr,
    query: &[u8],
    id: u16,
    name: &Name,
    qtype: u16,
    timeout: Duration,
) -> Result<Message, Failure> {
    let deadline = Instant::now() + timeout;
    let mut s = TcpStream::connect_timeout(&server, timeout)?;
    s.set_write_timeout(Some(remaining(deadline)?))?;
    let len = u16::try_from(query.len()).map_err(|_| Failure::Other)?;
    let mut out = Vec::with_capacity(query.len().saturating_add(2));
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(query);
    s.write_all(&out)?;
    let mut len = [0u8; 2];
    read_exact(&mut s, &mut len, deadline)?;
    let mut pkt = vec![0u8; usize::from(u16::from_be_bytes(len))];
    read_exact(&mut s, &mut pkt, deadline)?;
    let m = Message::parse(&pkt).map_err(|_| Failure::Other)?;
    if !m.answers_query(id, name, qtype) {
        return Err(Failure::Other);
    }
    Ok(m)
}

/// `read_exact` with the socket timeout shrinking towards one overall deadline.
fn read_exact(s: &mut TcpStream, mut buf: &mut [u8], deadline: Instant) -> Result<(), Failure> {
    while !buf.is_empty() {
        s.set_read_timeout(Some(remaining(deadline)?))?;
        match s.read(buf) {
            Ok(0) => return Err(Failure::Other),
            Ok(n) => buf = buf.get_mut(n..).unwrap_or_default(),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
