//! The names mail clients use to reach the MTA: /usr/sbin/sendmail, /usr/lib/sendmail and
//! /usr/bin/mailq, made symbolic links to bin/sendmail (which acts as mailq when called by
//! that name, i.e. runs `sendmail -bp`). A name that exists and is not already ours
//! belongs to another MTA and is left exactly as it is.
use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// The links, relative to the system root.
pub const LINKS: &[&str] = &["usr/sbin/sendmail", "usr/lib/sendmail", "usr/bin/mailq"];

/// Whether `path` already leads to our sendmail: it is a link to it, or resolves to it
/// through other links.
fn ours(path: &Path, target: &Path) -> bool {
    if fs::read_link(path).is_ok_and(|l| l == target) {
        return true;
    }
    match (fs::canonicalize(path), fs::canonicalize(target)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Make the links under `system` to `root/bin/sendmail`; the number of problems reported.
pub fn make(system: &Path, root: &Path, out: &mut impl Write, err: &mut impl Write) -> usize {
    let target = root.join("bin/sendmail");
    if !target.is_file() {
        let _ = writeln!(
            out,
            "qmail-setup: note: {} is not installed; no sendmail links made",
            target.display()
        );
        return 0;
    }
    let mut problems = 0usize;
    for l in LINKS {
        let path = system.join(l);
        match fs::symlink_metadata(&path) {
            Ok(_) if ours(&path, &target) => {}
            Ok(_) => {
                let _ = writeln!(
                    out,
                    "qmail-setup: note: {} belongs to another MTA; left alone",
                    path.display()
                );
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // No /usr/lib, say: nothing to put the name in, nobody looks there.
                if !path.parent().is_some_and(Path::is_dir) {
                    continue;
                }
                if let Err(e) = std::os::unix::fs::symlink(&target, &path) {
                    let _ = writeln!(
                        err,
                        "qmail-setup: warning: unable to link {} to {}: {}",
                        path.display(),
                        target.display(),
                        qmail_core::errstr::errstr(&e)
                    );
                    problems = problems.saturating_add(1);
                } else {
                    let _ = writeln!(
                        out,
                        "qmail-setup: linked {} to {}",
                        path.display(),
                        target.display()
                    );
                }
            }
            Err(e) => {
                let _ = writeln!(
                    err,
                    "qmail-setup: warning: unable to stat {}: {}",
                    path.display(),
                    qmail_core::errstr::errstr(&e)
                );
                problems = problems.saturating_add(1);
            }
        }
    }
    problems
}
