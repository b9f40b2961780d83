//! maildirmake DIR: create DIR and its tmp/, new/ and cur/, all mode 0700 (maildirmake(1)).
//! Existing directories are an error: a Maildir is made once, by its owner.
#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

use nix::sys::stat::{umask, Mode};

#[derive(Debug)]
pub enum MakeError {
    Usage,
    Mkdir(OsString, io::Error),
    Chdir(OsString, io::Error),
}

use qmail_core::fatal::Fatal;

/// The line on fd 2; usage is 100, everything else 111.
impl From<MakeError> for Fatal {
    fn from(e: MakeError) -> Fatal {
        match e {
            MakeError::Usage => Fatal::new(100, "maildirmake: usage: maildirmake name"),
            MakeError::Mkdir(d, e) => {
                let what = format!("unable to mkdir {}: ", d.to_string_lossy());
                Fatal::sys(111, "maildirmake", &what, &e)
            }
            MakeError::Chdir(d, e) => {
                let what = format!("unable to chdir to {}: ", d.to_string_lossy());
                Fatal::sys(111, "maildirmake", &what, &e)
            }
        }
    }
}

fn mkdir(d: &Path) -> Result<(), MakeError> {
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(d)
        .map_err(|e| MakeError::Mkdir(d.as_os_str().to_owned(), e))
}

pub fn run() -> Result<(), MakeError> {
    let dir = std::env::args_os().nth(1).ok_or(MakeError::Usage)?;
    umask(Mode::from_bits_truncate(0o077));
    let dir = Path::new(&dir);
    mkdir(dir)?;
    std::env::set_current_dir(dir).map_err(|e| MakeError::Chdir(dir.as_os_str().to_owned(), e))?;
    for sub in ["tmp", "new", "cur"] {
        mkdir(Path::new(sub))?;
    }
    Ok(())
}
