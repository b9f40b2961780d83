//! The SMTP service's relay rules for tcpserver: control/tcp.smtp (127.0.0.1 may relay,
//! everybody else may deliver to rcpthosts), created only when missing, and compiled to
//! control/tcp.smtp.cdb with tcprules (ucspi-tcp) when that is installed and the cdb is
//! missing or older than the rules.
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use qmail_hier::Ids;

pub const RULES: &str = "127.:allow,RELAYCLIENT=\"\"\n:allow\n";

/// tcprules in PATH, if any.
fn tcprules() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("tcprules"))
        .find(|p| p.is_file())
}

fn newer(a: &Path, b: &Path) -> bool {
    match (
        fs::metadata(a).and_then(|m| m.modified()),
        fs::metadata(b).and_then(|m| m.modified()),
    ) {
        (Ok(a), Ok(b)) => a > b,
        _ => true,
    }
}

fn create(rules: &Path, ids: Option<Ids>) -> io::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(rules)?;
    f.write_all(RULES.as_bytes())?;
    if let Some(ids) = ids {
        std::os::unix::fs::fchown(&f, Some(ids.root.as_raw()), Some(ids.qmail.as_raw()))?;
    }
    f.sync_all()
}

/// Install and compile the rules; the number of problems reported.
pub fn rules(root: &Path, ids: Option<Ids>, out: &mut impl Write, err: &mut impl Write) -> usize {
    let rules = root.join("control/tcp.smtp");
    match create(&rules, ids) {
        Ok(()) => {
            let _ = writeln!(out, "qmail-setup: created {}", rules.display());
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            let _ = writeln!(
                err,
                "qmail-setup: warning: unable to create {}: {}",
                rules.display(),
                qmail_core::errstr::errstr(&e)
            );
            return 1;
        }
    }
    let cdb = root.join("control/tcp.smtp.cdb");
    if !newer(&rules, &cdb) {
        return 0;
    }
    let Some(prog) = tcprules() else {
        let _ = writeln!(
            out,
            "qmail-setup: note: tcprules (ucspi-tcp) not found; {} not compiled",
            rules.display()
        );
        return 0;
    };
    let tmp = root.join("control/tcp.smtp.tmp");
    let r = fs::File::open(&rules).and_then(|input| {
        Command::new(&prog)
            .arg(&cdb)
            .arg(&tmp)
            .stdin(input)
            .stdout(Stdio::null())
            .status()
    });
    match r {
        Ok(s) if s.success() => 0,
        Ok(s) => {
            let _ = writeln!(
                err,
                "qmail-setup: warning: tcprules {} failed: {s}",
                cdb.display()
            );
            1
        }
        Err(e) => {
            let _ = writeln!(
                err,
                "qmail-setup: warning: unable to run tcprules: {}",
                qmail_core::errstr::errstr(&e)
            );
            1
        }
    }
}
