//! The SMTP connection: qmail-net's timed socket (non-blocking), every read and every
//! write limited to `timeoutremote` seconds. EOF, an error or a timeout all mean the same
//! thing to qmail-remote: the connection died.
//!
//! Output goes through a 1024-byte buffer with qmail's substdio rules (a piece that does
//! not fit flushes the buffer first; message bytes fill it to the brim), so what reaches
//! the server before qmail-remote gives up on a message (a partial final line) is what
//! qmail would have sent.
//!
//! After STARTTLS the same buffers carry plaintext and rustls sits between them and the
//! socket; every wait for the socket is still bounded by the timeout.
use qmail_net::timeoutio::Timed;
use qmail_remote_core::blast::Sink;
use qmail_remote_core::reply::GetByte;
use rustls::ClientConnection;
use std::io::{self, Read, Write};
use std::net::TcpStream;

const WBUF: usize = 1024;
const RBUF: usize = 1024;

/// The connection died.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Died;

/// The connection died in the TLS layer, with rustls's reason when it gave one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsDied(pub Option<String>);

pub struct Conn {
    sock: Timed<TcpStream>,
    tls: Option<Box<ClientConnection>>,
    rbuf: Box<[u8; RBUF]>,
    rpos: usize,
    rlen: usize,
    wbuf: Vec<u8>,
}

impl Conn {
    pub fn new(sock: TcpStream, timeout_secs: u64) -> io::Result<Conn> {
        sock.set_nonblocking(true)?;
        // Every write is a whole command or a full buffer of the message: nothing is
        // gained by holding it back. With Nagle's algorithm the last piece of a message
        // waits for the server to acknowledge the one before it, and a server waiting for
        // the end of the data acknowledges only when its delayed-ACK timer fires (40 ms
        // on Linux): per message, not per byte.
        sock.set_nodelay(true)?;
        Ok(Conn {
            sock: Timed::new(sock, timeout_secs),
            tls: None,
            rbuf: Box::new([0u8; RBUF]),
            rpos: 0,
            rlen: 0,
            wbuf: Vec::with_capacity(WBUF),
        })
    }

    fn write_raw(&mut self, data: &[u8]) -> Result<(), Died> {
        if let Some(mut tls) = self.tls.take() {
            let r = self.write_tls(&mut tls, data);
            self.tls = Some(tls);
            return r;
        }
        self.sock.write_all(data).map_err(|_| Died)
    }

    /// Plaintext into rustls, records out to the socket, until all of `data` is sent.
    fn write_tls(&mut self, tls: &mut ClientConnection, mut data: &[u8]) -> Result<(), Died> {
        while !data.is_empty() {
            let n = tls.writer().write(data).map_err(|_| Died)?;
            data = data.get(n..).unwrap_or_default();
            self.send_records(tls)?;
            if n == 0 && !tls.wants_write() {
                return Err(Died);
            }
        }
        self.send_records(tls)
    }

    fn send_records(&mut self, tls: &mut ClientConnection) -> Result<(), Died> {
        while tls.wants_write() {
            match tls.write_tls(&mut self.sock) {
                Ok(0) | Err(_) => return Err(Died),
                Ok(_) => {}
            }
        }
        Ok(())
    }

    /// Records in from the socket until rustls has something new; EOF, an error, a
    /// timeout or a TLS error is a dead connection (the error text when there is one).
    fn receive_records(&mut self, tls: &mut ClientConnection) -> Result<(), TlsDied> {
        match tls.read_tls(&mut self.sock) {
            Ok(0) | Err(_) => return Err(TlsDied(None)),
            Ok(_) => {}
        }
        tls.process_new_packets()
            .map_err(|e| TlsDied(Some(e.to_string())))?;
        Ok(())
    }

    /// Plaintext from rustls into the read buffer.
    fn fill_tls(&mut self, tls: &mut ClientConnection) -> Result<(), Died> {
        loop {
            match tls.reader().read(&mut *self.rbuf) {
                Ok(0) => return Err(Died),
                Ok(n) => {
                    self.rpos = 0;
                    self.rlen = n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.receive_records(tls).map_err(|_| Died)?;
                    // Alerts and key updates may want an answer.
                    self.send_records(tls)?;
                }
                Err(_) => return Err(Died),
            }
        }
    }

    /// The TLS handshake over this connection, right after the server's 220 to
    /// STARTTLS. Bytes the server sent after that reply are an attack (they would be
    /// taken as answers made inside TLS): the connection is refused.
    pub fn start_tls(&mut self, mut tls: ClientConnection) -> Result<(), TlsDied> {
        if self.rpos < self.rlen {
            return Err(TlsDied(Some(
                "server sent data after its reply to STARTTLS".into(),
            )));
        }
        while tls.is_handshaking() {
            if tls.wants_write() {
                self.send_records(&mut tls).map_err(|_| TlsDied(None))?;
            } else {
                self.receive_records(&mut tls)?;
            }
        }
        self.send_records(&mut tls).map_err(|_| TlsDied(None))?;
        self.tls = Some(Box::new(tls));
        Ok(())
    }

    pub fn tls(&self) -> Option<&ClientConnection> {
        self.tls.as_deref()
    }

    pub fn flush(&mut self) -> Result<(), Died> {
        let buf = std::mem::take(&mut self.wbuf);
        let r = self.write_raw(&buf);
        self.wbuf = buf;
        self.wbuf.clear();
        r
    }

    /// Where the end of the message goes: the final CRLF and dot join what is buffered,
    /// even past the buffer's size, so the next flush sends them with the message's last
    /// bytes: one packet less, and the server sees the end of the data at once.
    pub fn tail(&mut self) -> Tail<'_> {
        Tail(self)
    }

    /// One SMTP command, sent at once.
    pub fn command(&mut self, parts: &[&[u8]]) -> Result<(), Died> {
        for p in parts {
            self.put(p)?;
        }
        self.flush()
    }
}

impl GetByte for Conn {
    type Error = Died;
    fn get(&mut self) -> Result<u8, Died> {
        if self.rpos >= self.rlen {
            if let Some(mut tls) = self.tls.take() {
                let r = self.fill_tls(&mut tls);
                self.tls = Some(tls);
                r?;
            }
        }
        while self.rpos >= self.rlen {
            match self.sock.read(&mut *self.rbuf) {
                Ok(0) | Err(_) => return Err(Died),
                Ok(n) => {
                    self.rpos = 0;
                    self.rlen = n;
                }
            }
        }
        let b = *self.rbuf.get(self.rpos).ok_or(Died)?;
        self.rpos = self.rpos.saturating_add(1);
        Ok(b)
    }

    fn too_long(&mut self) -> Died {
        Died
    }
}

pub struct Tail<'a>(&'a mut Conn);

impl Sink for Tail<'_> {
    type Error = Died;

    fn put(&mut self, piece: &[u8]) -> Result<(), Died> {
        self.0.wbuf.extend_from_slice(piece);
        Ok(())
    }

    fn data(&mut self, run: &[u8]) -> Result<(), Died> {
        self.0.data(run)
    }
}

impl Sink for Conn {
    type Error = Died;

    fn put(&mut self, piece: &[u8]) -> Result<(), Died> {
        if piece.len() > WBUF.saturating_sub(self.wbuf.len()) {
            self.flush()?;
            if piece.len() >= WBUF {
                return self.write_raw(piece);
            }
        }
        self.wbuf.extend_from_slice(piece);
        Ok(())
    }

    fn data(&mut self, mut run: &[u8]) -> Result<(), Died> {
        while !run.is_empty() {
            if self.wbuf.len() >= WBUF {
                self.flush()?;
            }
            let room = WBUF.saturating_sub(self.wbuf.len());
            let (now, later) = run.split_at(room.min(run.len()));
            self.wbuf.extend_from_slice(now);
            run = later;
        }
        Ok(())
    }
}
