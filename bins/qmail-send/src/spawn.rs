//! The two spawns (qmail-lspawn, qmail-rspawn): commands written without blocking, reports
//! read and framed (the I/O of qmail's comm_do and del_do).
use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};

use crate::chan::{Channel, PerChannel};
use qmail_spawn::report::ReportBuf;

pub struct Spawns {
    cmd: PerChannel<File>,
    rep: PerChannel<File>,
    cmdbuf: PerChannel<Vec<u8>>,
    reports: PerChannel<ReportBuf>,
}

impl Spawns {
    /// `cmd`: the command pipes, non-blocking; `rep`: the report pipes.
    pub fn new(cmd: PerChannel<File>, rep: PerChannel<File>) -> Spawns {
        Spawns {
            cmd,
            rep,
            cmdbuf: PerChannel::default(),
            reports: PerChannel::default(),
        }
    }

    /// The report pipe of `c`, to poll for reading.
    pub fn report_fd(&self, c: Channel) -> BorrowedFd<'_> {
        self.rep[c].as_fd()
    }

    /// The command pipe of `c` while a command waits to be written, to poll for writing.
    pub fn pending_fd(&self, c: Channel) -> Option<BorrowedFd<'_>> {
        (!self.cmdbuf[c].is_empty()).then(|| self.cmd[c].as_fd())
    }

    /// The next command for `c` (the scheduler sends one at a time).
    pub fn command(&mut self, c: Channel, bytes: Vec<u8>) {
        self.cmdbuf[c] = bytes;
    }

    /// Write what is buffered for `c`.
    pub fn write(&mut self, c: Channel) -> Written {
        if self.cmdbuf[c].is_empty() {
            return Written::Nothing;
        }
        match self.cmd[c].write(&self.cmdbuf[c]) {
            Ok(n) => {
                let n = n.min(self.cmdbuf[c].len());
                self.cmdbuf[c].drain(..n);
                if self.cmdbuf[c].is_empty() {
                    Written::All
                } else {
                    Written::Part
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {
                Written::Part
            }
            Err(_) => {
                self.cmdbuf[c].clear();
                Written::Broken
            }
        }
    }

    /// The reports completed by what `c`'s spawn has sent; `None`: the spawn is gone (EOF
    /// or an error).
    pub fn read(&mut self, c: Channel) -> Option<Vec<Vec<u8>>> {
        let mut buf = [0u8; 4096];
        match self.rep[c].read(&mut buf) {
            Ok(n) if n > 0 => Some(self.reports[c].feed(buf.get(..n).unwrap_or(&[]))),
            Err(e) if matches!(e.kind(), ErrorKind::Interrupted | ErrorKind::WouldBlock) => {
                Some(Vec::new())
            }
            _ => None,
        }
    }
}

/// What a write to a spawn achieved.
pub enum Written {
    /// No command was waiting.
    Nothing,
    /// Some or none of it: the rest waits for the pipe.
    Part,
    /// The whole command.
    All,
    /// The pipe is broken: the spawn is gone.
    Broken,
}
