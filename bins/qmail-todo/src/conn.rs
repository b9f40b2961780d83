//! qmail-todo's end of the pipes to qmail-send: commands in on fd 0 (non-blocking, read
//! between messages), reports out on fd 1.
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use qmail_core::queue::todopipe::{Cmd, Done, Lines};

pub struct Conn {
    from: File,
    to: File,
    lines: Lines,
}

/// What reading the command pipe found.
pub enum Heard {
    Cmds(Vec<Cmd>),
    /// EOF, an error or nonsense: qmail-send is gone (or broken); exit.
    Gone,
}

impl Conn {
    pub fn open() -> io::Result<Conn> {
        let from = File::from(qmail_sys::fd::take(0)?);
        let to = File::from(qmail_sys::fd::take(1)?);
        fcntl(from.as_raw_fd(), FcntlArg::F_SETFL(OFlag::O_NONBLOCK))?;
        Ok(Conn {
            from,
            to,
            lines: Lines::default(),
        })
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.from.as_fd()
    }

    /// Everything qmail-send has written so far.
    pub fn read(&mut self) -> Heard {
        let mut cmds = Vec::new();
        let mut buf = [0u8; 512];
        loop {
            match self.from.read(&mut buf) {
                Ok(0) => return Heard::Gone,
                Ok(n) => {
                    let Some(lines) = self.lines.feed(buf.get(..n).unwrap_or(&[])) else {
                        return Heard::Gone;
                    };
                    for l in lines {
                        match Cmd::parse(&l) {
                            Some(c) => cmds.push(c),
                            None => return Heard::Gone,
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Heard::Cmds(cmds),
                Err(_) => return Heard::Gone,
            }
        }
    }

    /// Report a preprocessed message; false if qmail-send is gone.
    pub fn report(&mut self, d: Done) -> bool {
        self.to.write_all(&d.encode()).is_ok()
    }
}
