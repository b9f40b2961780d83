//! qmail-clean: removes queue files for qmail-send, one NUL-terminated request on fd 0,
//! one reply byte on fd 1, and sweeps `pid/` files that a dead qmail-queue left.
#![forbid(unsafe_code)]

mod pidsweep;
mod request;

use std::io::{self, BufRead, Write};
use std::path::Path;

use qmail_core::auto;

pub use pidsweep::{sweep_pid, OSSIFIED};
pub use request::{handle, Request};

/// Sweep `pid/` again after this many requests (and once at start).
const SWEEP_EVERY: u32 = 30;
/// A request longer than this (NUL included) is refused; qmail-send's are far shorter.
const MAX_REQUEST: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum CleanError {
    #[error("unable to switch to queue directory")]
    Chdir(#[source] io::Error),
    #[error("unable to write reply")]
    Reply(#[source] io::Error),
}

/// qmail-clean says nothing: qmail-send sees the exit code.
impl From<CleanError> for qmail_core::fatal::Fatal {
    fn from(e: CleanError) -> qmail_core::fatal::Fatal {
        qmail_core::fatal::Fatal::quiet(match e {
            CleanError::Chdir(_) => 111,
            CleanError::Reply(_) => 100,
        })
    }
}

pub fn run() -> Result<(), CleanError> {
    std::env::set_current_dir(auto::QMAIL).map_err(CleanError::Chdir)?;
    std::env::set_current_dir(qmail_core::queue::dirs::QUEUE).map_err(CleanError::Chdir)?;
    // The protocol fds are taken as files: std's stdout would swallow EBADF.
    let input = qmail_sys::fd::take(0).map(std::fs::File::from);
    let output = qmail_sys::fd::take(1).map_err(CleanError::Reply)?;
    let input: Box<dyn io::Read> = match input {
        Ok(f) => Box::new(f),
        Err(_) => Box::new(io::empty()),
    };
    serve(
        Path::new("."),
        io::BufReader::new(input),
        std::fs::File::from(output),
    )
}

/// The request loop on the queue directory `queue`. Returns at EOF on `input`.
pub fn serve(
    queue: &Path,
    mut input: impl BufRead,
    mut output: impl Write,
) -> Result<(), CleanError> {
    let mut until_sweep = 0u32;
    loop {
        if until_sweep == 0 {
            sweep_pid(queue, qmail_core::date822::now());
            until_sweep = SWEEP_EVERY;
        }
        until_sweep -= 1;
        let Some(line) = read_request(&mut input) else {
            return Ok(());
        };
        let reply = match line.and_then(|l| Request::parse(&l)) {
            Some(req) => handle(queue, req),
            None => b'x',
        };
        output.write_all(&[reply]).map_err(CleanError::Reply)?;
        output.flush().map_err(CleanError::Reply)?;
    }
}

/// One NUL-terminated request: `None` at EOF (or a final fragment without NUL, which
/// means qmail-send went away), `Some(None)` for a request too long to be valid.
fn read_request(input: &mut impl BufRead) -> Option<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let buf = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        };
        if buf.is_empty() {
            return None;
        }
        let (chunk, done) = match memchr_nul(buf) {
            Some(i) => (buf.get(..=i).unwrap_or(buf), true),
            None => (buf, false),
        };
        let n = chunk.len();
        if !too_long {
            line.extend_from_slice(chunk);
            if line.len() > MAX_REQUEST {
                too_long = true;
                line.clear();
            }
        }
        input.consume(n);
        if done {
            return Some(if too_long { None } else { Some(line) });
        }
    }
}

fn memchr_nul(buf: &[u8]) -> Option<usize> {
    buf.iter().position(|&b| b == 0)
}
