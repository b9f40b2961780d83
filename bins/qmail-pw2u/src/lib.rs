//! qmail-pw2u: turn a passwd file on stdin into a users/assign file on stdout
//! (qmail-pw2u(8)), for qmail-newu to compile.
#![forbid(unsafe_code)]

pub mod assign;
pub mod options;

use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use qmail_core::auto;

use crate::assign::{Files, Home, Pw2uError};

#[derive(Debug)]
pub enum Error {
    Usage(options::BadOption),
    Chdir(io::Error),
    Read(&'static str, io::Error),
    Write(io::Error),
    Assign(Pw2uError),
}

use qmail_core::errstr::errstr;
use qmail_core::fatal::Fatal;

/// The line on fd 2; usage is 100, everything else 111.
impl From<Error> for Fatal {
    fn from(e: Error) -> Fatal {
        let Error::Usage(bad) = e else {
            return Fatal::die(111, "qmail-pw2u", text(&e));
        };
        // getopt's words, as qmail's qmail-pw2u prints them.
        let (what, c) = match bad {
            options::BadOption::Illegal(c) => ("illegal option", c),
            options::BadOption::NeedsArgument(c) => ("option requires an argument", c),
        };
        let mut line = format!("qmail-pw2u: {what} -- ").into_bytes();
        line.push(c);
        Fatal::new(100, line)
    }
}

fn text(e: &Error) -> String {
    match e {
        Error::Usage(_) => String::new(),
        Error::Chdir(e) => format!("unable to chdir to {}: {}", auto::QMAIL, errstr(e)),
        Error::Read(what, e) => format!("unable to read {what}: {}", errstr(e)),
        Error::Write(e) => format!("unable to write output: {}", errstr(e)),
        Error::Assign(Pw2uError::StatHome(h)) => {
            format!("unable to stat {}", String::from_utf8_lossy(h))
        }
        Error::Assign(Pw2uError::NoAlias) => "unable to find alias user".to_string(),
        Error::Assign(Pw2uError::NoUser(u)) => {
            format!("unable to find user {}", String::from_utf8_lossy(u))
        }
    }
}

fn optional(path: &'static str) -> Result<Option<Vec<u8>>, Error> {
    match std::fs::read(path) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Read(path, e)),
    }
}

fn check_home(home: &[u8], uid: Option<u32>) -> Home {
    match std::fs::metadata(Path::new(std::ffi::OsStr::from_bytes(home))) {
        Ok(m) if Some(m.uid()) == uid => Home::Owned,
        Ok(_) => Home::Foreign,
        Err(_) => Home::Missing,
    }
}

pub fn run() -> Result<(), Error> {
    let o = options::parse(std::env::args_os().skip(1)).map_err(Error::Usage)?;
    let mut passwd = Vec::new();
    io::stdin()
        .lock()
        .read_to_end(&mut passwd)
        .map_err(|e| Error::Read("input", e))?;
    std::env::set_current_dir(auto::QMAIL).map_err(Error::Chdir)?;
    let files = Files {
        include: optional("users/include")?,
        exclude: optional("users/exclude")?,
        mailnames: optional("users/mailnames")?,
        subusers: optional("users/subusers")?,
        append: optional("users/append")?,
    };
    let out = assign::assign(&o, &passwd, &files, |a| check_home(a.home, a.uid_number()))
        .map_err(Error::Assign)?;
    let mut w = io::stdout().lock();
    w.write_all(&out)
        .and_then(|()| w.flush())
        .map_err(Error::Write)
}
