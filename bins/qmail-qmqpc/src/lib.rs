//! qmail-qmqpc: a qmail-queue replacement that hands each message to a QMQP server
//! (qmail-qmqpc(8)). Like qmail-queue it reads the message on fd 0 and the
//! envelope on fd 1, prints nothing, and reports through its exit code (qmail-queue's
//! table in qmail-core::exit). The servers are the IP addresses in
//! `control/qmqpservers`, tried in order until one can be reached; the first one reached
//! gives the verdict.
#![forbid(unsafe_code)]

pub mod request;

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use qmail_core::exit::QueueExit;
use qmail_core::{auto, control};

use request::EnvelopeReader;

/// The QMQP port.
pub const PORT_QMQP: u16 = 628;
/// Connecting to a server may take this long before the next one is tried.
pub const CONNECT_SECS: u64 = 10;
/// Each read and write on the connection may take this long.
pub const IO_SECS: u64 = 60;

/// The message on fd 0, the envelope on fd 1 (qmail-queue's interface).
const MESSAGE_FD: i32 = 0;
const ENVELOPE_FD: i32 = 1;

pub fn run() -> u8 {
    match qmqpc() {
        Ok(()) => 0,
        Err(e) => e.code(),
    }
}

fn read_err(e: &io::Error) -> QueueExit {
    if e.kind() == io::ErrorKind::OutOfMemory {
        QueueExit::NoMem
    } else {
        QueueExit::ReadErr
    }
}

fn qmqpc() -> Result<(), QueueExit> {
    std::env::set_current_dir(auto::QMAIL).map_err(|_| QueueExit::HomeDir)?;
    control::Me::init().map_err(|_| QueueExit::Config)?;
    let servers = control::readfile("control/qmqpservers")
        .ok()
        .flatten()
        .ok_or(QueueExit::Config)?;

    let mut message = Vec::new();
    let mut fd0 = File::from(qmail_sys::fd::take(MESSAGE_FD).map_err(|e| read_err(&e))?);
    fd0.read_to_end(&mut message).map_err(|e| read_err(&e))?;
    let mut fd1 = File::from(qmail_sys::fd::take(ENVELOPE_FD).map_err(|e| read_err(&e))?);
    let mut env = EnvelopeReader::default();
    let mut buf = [0u8; 4096];
    loop {
        let n = match fd1.read(&mut buf) {
            Ok(0) => return Err(QueueExit::Envelope),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_err(&e)),
        };
        if env.push(buf.get(..n).unwrap_or_default())? {
            break;
        }
    }
    let (sender, rcpts) = env.finish()?;
    let req = request::build(&message, sender, &rcpts).ok_or(QueueExit::NoMem)?;
    drop(message);

    let mut last = QueueExit::Config;
    for line in &servers {
        let Some((ip, _)) = qmail_net::ip::scan(line) else {
            continue;
        };
        let addr = SocketAddr::from((Ipv4Addr::from(ip.0), PORT_QMQP));
        match TcpStream::connect_timeout(&addr, Duration::from_secs(CONNECT_SECS)) {
            Ok(conn) => return talk(conn, &req),
            Err(e) if is_socket_trouble(&e) => return Err(QueueExit::Network),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => last = QueueExit::ConnTimeout,
            Err(_) => last = QueueExit::ConnRefused,
        }
    }
    Err(last)
}

/// Errors of socket() itself rather than of connecting: no other server would help.
fn is_socket_trouble(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM | libc::EAFNOSUPPORT)
    )
}

/// Send the request and read the verdict. Once connected, any failure is final (74).
fn talk(mut conn: TcpStream, req: &[u8]) -> Result<(), QueueExit> {
    let io_timeout = Some(Duration::from_secs(IO_SECS));
    let lost = |_| QueueExit::CommFailed;
    conn.set_write_timeout(io_timeout).map_err(lost)?;
    conn.set_read_timeout(io_timeout).map_err(lost)?;
    conn.write_all(req).map_err(lost)?;
    conn.flush().map_err(lost)?;
    let mut buf = [0u8; 256];
    loop {
        let n = match conn.read(&mut buf) {
            Ok(0) => return Err(QueueExit::CommFailed),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(QueueExit::CommFailed),
        };
        if let Some(v) = request::verdict(buf.get(..n).unwrap_or_default()) {
            return v;
        }
    }
}
