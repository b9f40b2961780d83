//! qmail-newmrh: compile `control/morercpthosts` into `control/morercpthosts.cdb`
//! (qmail-newmrh(8)), the form qmail-smtpd looks recipient domains up in. The cdb is
//! written to `control/morercpthosts.tmp`, fsynced and renamed, so qmail-smtpd sees the
//! old or the new database, never a partial one.
#![forbid(unsafe_code)]

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use nix::sys::stat::{umask, Mode};
use qmail_core::auto;
use qmail_core::cdb::{CdbError, CdbMake};

/// A list this large is a mistake; refuse it instead of exhausting memory.
const LIST_MAX: u64 = 1 << 30;

#[derive(Debug)]
pub enum NewmrhError {
    Read(io::Error),
    Write(io::Error),
    Move(io::Error),
}

use qmail_core::errstr::errstr;
use qmail_core::fatal::Fatal;

/// `qmail-newmrh: fatal: …` on fd 2; the exit code is always 111.
impl From<NewmrhError> for Fatal {
    fn from(e: NewmrhError) -> Fatal {
        Fatal::die(111, "qmail-newmrh", text(&e))
    }
}

fn text(e: &NewmrhError) -> String {
    match e {
        NewmrhError::Read(e) => format!("unable to read control/morercpthosts: {}", errstr(e)),
        NewmrhError::Write(e) => {
            format!(
                "unable to write to control/morercpthosts.tmp: {}",
                errstr(e)
            )
        }
        NewmrhError::Move(e) => format!(
            "unable to move control/morercpthosts.tmp to control/morercpthosts.cdb: {}",
            errstr(e)
        ),
    }
}

/// The keys: each line with trailing spaces and tabs removed, lowercased; empty lines and
/// `#` comments skipped. Duplicates are kept (a cdb lookup finds the first).
pub fn keys(text: &[u8]) -> Vec<Vec<u8>> {
    text.split(|&b| b == b'\n')
        .map(|l| {
            let keep = l
                .iter()
                .rposition(|&b| b != b' ' && b != b'\t')
                .map_or(0, |i| i.saturating_add(1));
            l.get(..keep).unwrap_or_default().to_ascii_lowercase()
        })
        .filter(|l| !l.is_empty() && !l.starts_with(b"#"))
        .collect()
}

fn write_error(e: CdbError) -> NewmrhError {
    match e {
        CdbError::Io(_, e) => NewmrhError::Write(e),
        other => NewmrhError::Write(io::Error::other(other.to_string())),
    }
}

/// Build the cdb in the current directory's `control/`.
pub fn newmrh() -> Result<(), NewmrhError> {
    let mut text = Vec::new();
    File::options()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open("control/morercpthosts")
        .map_err(NewmrhError::Read)?
        .take(LIST_MAX)
        .read_to_end(&mut text)
        .map_err(NewmrhError::Read)?;
    let tmp =
        qmail_core::cdb::create_tmp("control/morercpthosts.tmp").map_err(NewmrhError::Write)?;
    let mut cdb = CdbMake::new(tmp);
    for k in keys(&text) {
        cdb.add(&k, b"").map_err(write_error)?;
    }
    let file = cdb.finish().map_err(write_error)?;
    file.sync_all().map_err(NewmrhError::Write)?;
    drop(file);
    std::fs::rename("control/morercpthosts.tmp", "control/morercpthosts.cdb")
        .map_err(NewmrhError::Move)
}

/// The program: umask 033, chdir to the qmail home, build.
pub fn run() -> Result<(), NewmrhError> {
    umask(Mode::from_bits_truncate(0o033));
    std::env::set_current_dir(Path::new(auto::QMAIL)).map_err(NewmrhError::Read)?;
    newmrh()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_rules() {
        let k = keys(b"Example.COM \t\n\n# comment\n  lead.example\nsub.example\r\n.dot.example");
        assert_eq!(
            k,
            vec![
                b"example.com".to_vec(),
                b"  lead.example".to_vec(),
                b"sub.example\r".to_vec(),
                b".dot.example".to_vec()
            ]
        );
        assert!(keys(b"").is_empty());
    }
}
