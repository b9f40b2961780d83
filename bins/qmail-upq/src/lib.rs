//! qmail-upq [queue]: after conf-split changed, move every file of mess/, info/, local/
//! and remote/ into the subdirectory its message number selects (number mod split),
//! creating the new subdirectories and removing the emptied old ones. Run it with qmail
//! stopped; it refuses while qmail-send holds lock/sendmutex.
#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use qmail_core::auto;
use qmail_core::errstr::errstr;
use qmail_core::fatal::Fatal;

pub use qmail_hier::resplit::{Moved, Trouble};

#[derive(Debug, thiserror::Error)]
pub enum UpqError {
    #[error("usage: qmail-upq [ queuedir ]")]
    Usage,
    #[error("unable to switch to {}: {}", path.display(), errstr(err))]
    Chdir { path: PathBuf, err: io::Error },
    #[error("qmail-send is running; stop qmail first")]
    Running,
    #[error("unable to lock {}: {}", path.display(), errstr(err))]
    Lock { path: PathBuf, err: io::Error },
    #[error("{0}")]
    Trouble(#[from] qmail_hier::resplit::Trouble),
    #[error("{0} files could not be moved, see above")]
    Warnings(usize),
}

impl From<UpqError> for Fatal {
    fn from(e: UpqError) -> Fatal {
        match e {
            UpqError::Usage => Fatal::new(100, format!("qmail-upq: {e}")),
            _ => Fatal::die(111, "qmail-upq", e.to_string()),
        }
    }
}

/// Hold qmail-send's mutex for as long as the result lives, so that qmail cannot start
/// while files move. A queue without the mutex file (a copy being repaired) is not locked.
fn lock(queue: &Path) -> Result<Option<Flock<std::fs::File>>, UpqError> {
    let path = queue.join("lock/sendmutex");
    let f = match OpenOptions::new().write(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(UpqError::Lock { path, err }),
    };
    match Flock::lock(f, FlockArg::LockExclusiveNonblock) {
        Ok(l) => Ok(Some(l)),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => Err(UpqError::Running),
        Err((_, e)) => Err(UpqError::Lock {
            path,
            err: io::Error::from(e),
        }),
    }
}

pub fn run() -> Result<(), UpqError> {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let queue = match args.as_slice() {
        [] => Path::new(auto::QMAIL).join("queue"),
        [q] if !q.is_empty() && !q.to_string_lossy().starts_with('-') => PathBuf::from(q),
        _ => return Err(UpqError::Usage),
    };
    if !queue.is_dir() {
        return Err(UpqError::Chdir {
            path: queue,
            err: io::Error::from(io::ErrorKind::NotFound),
        });
    }
    let _lock = lock(&queue)?;
    let mut err = io::stderr().lock();
    let moved =
        qmail_hier::resplit::resplit(&queue, u64::from(auto::SPLIT.max(1)), "qmail-upq", &mut err)?;
    match moved.warnings {
        0 => Ok(()),
        n => Err(UpqError::Warnings(n)),
    }
}
