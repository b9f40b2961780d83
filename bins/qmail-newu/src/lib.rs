//! qmail-newu: compile `users/assign` into `users/cdb` (qmail-newu(8)). The new database is
//! written to `users/cdb.tmp`, fsynced and renamed over `users/cdb`, so qmail-lspawn sees
//! either the old or the new one, never a partial file.
#![forbid(unsafe_code)]

pub mod assign;

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use nix::sys::stat::{umask, Mode};
use qmail_core::auto;
use qmail_core::cdb::{CdbError, CdbMake};

/// assign files are small; refuse one that is absurdly large instead of exhausting memory.
const ASSIGN_MAX: u64 = 1 << 30;

#[derive(Debug)]
pub enum NewuError {
    Chdir(io::Error),
    OpenAssign(io::Error),
    ReadAssign(io::Error),
    BadFormat,
    OpenTmp(io::Error),
    WriteTmp(io::Error),
    Move(io::Error),
    /// control/rcptcheck is on and bin/qmail-newrcpt failed (it said why).
    NewRcpt,
}

use qmail_core::errstr::errstr;
use qmail_core::fatal::Fatal;

/// `qmail-newu: fatal: …` on fd 2; the exit code is always 111.
impl From<NewuError> for Fatal {
    fn from(e: NewuError) -> Fatal {
        Fatal::die(111, "qmail-newu", text(&e))
    }
}

fn text(e: &NewuError) -> String {
    match e {
        NewuError::Chdir(e) => format!("unable to chdir to {}: {}", auto::QMAIL, errstr(e)),
        NewuError::OpenAssign(e) => format!("unable to open users/assign: {}", errstr(e)),
        NewuError::ReadAssign(e) => format!("unable to read users/assign: {}", errstr(e)),
        NewuError::BadFormat => "bad format in users/assign".to_string(),
        NewuError::OpenTmp(e) => format!("unable to open users/cdb.tmp: {}", errstr(e)),
        NewuError::WriteTmp(e) => format!("unable to write users/cdb.tmp: {}", errstr(e)),
        NewuError::Move(e) => format!("unable to move users/cdb.tmp to users/cdb: {}", errstr(e)),
        NewuError::NewRcpt => "users/cdb is new but qmail-newrcpt failed".to_string(),
    }
}

fn cdb_write_error(e: CdbError) -> NewuError {
    match e {
        CdbError::Io(_, e) => NewuError::WriteTmp(e),
        other => NewuError::WriteTmp(io::Error::other(other.to_string())),
    }
}

/// Build `users/cdb` from `users/assign` under `qmail_home`.
pub fn newu_in(qmail_home: &Path) -> Result<(), NewuError> {
    std::env::set_current_dir(qmail_home).map_err(NewuError::Chdir)?;
    let mut text = Vec::new();
    File::open("users/assign")
        .map_err(NewuError::OpenAssign)?
        .take(ASSIGN_MAX)
        .read_to_end(&mut text)
        .map_err(NewuError::ReadAssign)?;
    let records = assign::records(&text).map_err(|_| NewuError::BadFormat)?;
    let tmp = qmail_core::cdb::create_tmp("users/cdb.tmp").map_err(NewuError::OpenTmp)?;
    let mut cdb = CdbMake::new(tmp);
    for (k, d) in &records {
        cdb.add(k, d).map_err(cdb_write_error)?;
    }
    let f = cdb.finish().map_err(cdb_write_error)?;
    f.sync_all().map_err(NewuError::WriteTmp)?;
    nix::unistd::close(std::os::fd::IntoRawFd::into_raw_fd(f))
        .map_err(|e| NewuError::WriteTmp(e.into()))?;
    std::fs::rename("users/cdb.tmp", "users/cdb").map_err(NewuError::Move)
}

pub fn run() -> Result<(), NewuError> {
    umask(Mode::from_bits_truncate(0o033));
    newu_in(Path::new(auto::QMAIL))?;
    newrcpt()
}

/// With control/rcptcheck on, users/rcpt.cdb must follow users/cdb: run
/// bin/qmail-newrcpt (in the qmail home, where newu_in left us).
fn newrcpt() -> Result<(), NewuError> {
    let on = qmail_core::control::readint("control/rcptcheck", 0).unwrap_or(1);
    if on == 0 {
        return Ok(());
    }
    match std::process::Command::new("bin/qmail-newrcpt").status() {
        Ok(s) if s.success() => Ok(()),
        _ => Err(NewuError::NewRcpt),
    }
}
