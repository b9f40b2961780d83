//! How the small .qmail helpers (bouncesaying, condredirect, except, preline) stop: one
//! line on stderr (`prog: fatal: …`, a usage line, or bouncesaying's own text) and an
//! exit code for qmail-local.
use std::io::{self, Write};

#[derive(Debug)]
pub struct Fatal {
    pub code: u8,
    /// The whole line, without its newline; any bytes.
    pub line: Vec<u8>,
}

impl Fatal {
    pub fn new(code: u8, line: impl Into<Vec<u8>>) -> Fatal {
        Fatal {
            code,
            line: line.into(),
        }
    }

    /// Print the line on fd 2 and give the exit code.
    pub fn report(&self) -> u8 {
        let mut err = io::stderr().lock();
        let _ = err.write_all(&self.line);
        let _ = err.write_all(b"\n");
        let _ = err.flush();
        self.code
    }
}
