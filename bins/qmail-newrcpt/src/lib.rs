//! qmail-newrcpt: write `users/rcpt.cdb`, what qmail-smtpd's recipient check
//! (control/rcptcheck) knows about the local mailboxes (qmail-newrcpt(8)).
//!
//! Run as root (by the admin, by qmail-newu when control/rcptcheck is on, from cron):
//! root only to change identity; every home directory is looked at as its own account,
//! and qmail-getpw's home-owner test is made as qmailp. The database holds names only:
//! the valid accounts with their homes, the alias user's home, and for each home the
//! `.qmail` names in it (see `qmail_smtp::rcptcheck` for the keys). It is written to
//! `users/rcpt.cdb.tmp`, fsynced and renamed, so qmail-smtpd sees the old or the new one.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod scan;

use std::collections::BTreeMap;
use std::io;

use nix::unistd::User;
use qmail_core::auto;
use qmail_core::cdb::{Cdb, CdbError, CdbMake, Record};
use qmail_core::errstr::errstr;
use qmail_core::fatal::Fatal;
use qmail_smtp::rcptcheck::{home_key, ACCOUNT, ALIAS, DIR, FILE, UNKNOWN};

#[derive(Debug)]
pub enum Error {
    Chdir(io::Error),
    Users(String),
    Getent(String),
    Identity(nix::errno::Errno),
    Stat(Vec<u8>, String),
    Write(String),
    Move(io::Error),
}

impl From<Error> for Fatal {
    /// `qmail-newrcpt: fatal: …`; exit 111 (nothing was changed).
    fn from(e: Error) -> Fatal {
        let text = match &e {
            Error::Chdir(e) => format!("unable to chdir to {}: {}", auto::QMAIL, errstr(e)),
            Error::Users(e) => format!("unable to read users/cdb: {e}"),
            Error::Getent(e) => format!("unable to list accounts with getent passwd: {e}"),
            Error::Identity(e) => format!("unable to switch identity: {e}"),
            Error::Stat(h, e) => format!(
                "unable to stat home directory {}: {e}",
                String::from_utf8_lossy(h)
            ),
            Error::Write(e) => format!("unable to write users/rcpt.cdb.tmp: {e}"),
            Error::Move(e) => format!(
                "unable to move users/rcpt.cdb.tmp to users/rcpt.cdb: {}",
                errstr(e)
            ),
        };
        Fatal::die(111, "qmail-newrcpt", text)
    }
}

/// The homes to list, each with the identity that reads it.
type Homes = BTreeMap<Vec<u8>, (u32, u32)>;

/// users/cdb's homes (exact and wildcard records alike).
fn assigned_homes(homes: &mut Homes) -> Result<(), Error> {
    let cdb = match Cdb::open("users/cdb") {
        Ok(c) => c,
        Err(CdbError::Io(_, e)) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::Users(e.to_string())),
    };
    let records = cdb.records().map_err(|e| Error::Users(e.to_string()))?;
    for (k, mut d) in records {
        if !k.starts_with(b"!") {
            continue;
        }
        // A wildcard record lacks the final NUL qmail-lspawn adds after the rest.
        if !k.ends_with(b"\0") {
            d.push(0);
        }
        if let Some(u) = qmail_core::users::parse(&d) {
            homes.entry(u.home).or_insert((u.uid, u.gid));
        }
    }
    Ok(())
}

/// Everything the database will hold, as (key, data) pairs.
pub fn collect() -> Result<Vec<Record>, Error> {
    let mut out = Vec::new();
    let mut homes = Homes::new();
    assigned_homes(&mut homes)?;
    let qmailp = User::from_name(auto::USER_PASSWD)
        .ok()
        .flatten()
        .map(|u| (u.uid.as_raw(), u.gid.as_raw()));
    let nofiles = nix::unistd::Group::from_name(auto::GROUP_NOFILES)
        .ok()
        .flatten()
        .map(|g| g.gid.as_raw());
    let getpw_id = match (qmailp, nofiles) {
        (Some((uid, _)), Some(gid)) => (uid, gid),
        (Some(id), None) => id,
        _ => (0, 0),
    };
    for a in accounts::list()? {
        if a.uid == 0 {
            continue;
        }
        if !scan::as_user(getpw_id, || scan::owned_by(&a.home, a.uid))?? {
            continue;
        }
        out.push(([&[ACCOUNT], &a.name[..]].concat(), a.home.clone()));
        homes.entry(a.home).or_insert((a.uid, a.gid));
    }
    if let Some(alias) = User::from_name(auto::USER_ALIAS).ok().flatten() {
        let home = alias.dir.as_os_str().as_encoded_bytes().to_vec();
        out.push((vec![ALIAS], home.clone()));
        homes
            .entry(home)
            .or_insert((alias.uid.as_raw(), alias.gid.as_raw()));
    }
    for (home, id) in &homes {
        match scan::as_user(*id, || scan::list(home))? {
            None => out.push((home_key(UNKNOWN, home, b""), Vec::new())),
            Some(h) => {
                for f in &h.files {
                    out.push((home_key(FILE, home, f), Vec::new()));
                }
                for d in &h.dirs {
                    out.push((home_key(DIR, home, d), Vec::new()));
                }
            }
        }
    }
    Ok(out)
}

fn write_err(e: impl std::fmt::Display) -> Error {
    Error::Write(e.to_string())
}

/// Write users/rcpt.cdb (in the current directory, the qmail home).
pub fn write(records: &[Record]) -> Result<(), Error> {
    let tmp = qmail_core::cdb::create_tmp("users/rcpt.cdb.tmp").map_err(write_err)?;
    let mut cdb = CdbMake::new(tmp);
    for (k, d) in records {
        cdb.add(k, d).map_err(write_err)?;
    }
    let f = cdb.finish().map_err(write_err)?;
    f.sync_all().map_err(write_err)?;
    drop(f);
    std::fs::rename("users/rcpt.cdb.tmp", "users/rcpt.cdb").map_err(Error::Move)
}

pub fn run() -> Result<(), Error> {
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
    std::env::set_current_dir(auto::QMAIL).map_err(Error::Chdir)?;
    let records = collect()?;
    write(&records)
}
