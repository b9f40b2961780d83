//! A postmaster from the first minute (RFC 5321 section 4.5.1): `~alias/.qmail-postmaster`,
//! `.qmail-root` and `.qmail-mailer-daemon`, created when absent and never overwritten,
//! delivering to `~alias/Maildir/` (made here, owned by alias) or forwarding to the
//! administrator given at setup time. [`problems`] says when postmaster mail has nowhere
//! to go, for qmail-setup's and instcheck's checks.
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use qmail_hier::Ids;

/// The local names every mail system must answer for.
pub const NAMES: &[&str] = &["postmaster", "root", "mailer-daemon"];

/// Where their mail goes unless an administrator is named: a Maildir in ~alias.
pub const MAILDIR: &str = "Maildir";

fn errstr(e: &io::Error) -> String {
    qmail_core::errstr::errstr(e)
}

/// The delivery line of the alias files: the administrator's address, or the Maildir.
pub fn line(admin: Option<&str>) -> String {
    match admin {
        Some(a) => format!("&{a}\n"),
        None => format!("./{MAILDIR}/\n"),
    }
}

/// Whether `admin` can be the one line of a .qmail file that forwards to it.
pub fn valid_admin(admin: &str) -> bool {
    !admin.is_empty()
        && admin.bytes().all(|b| b.is_ascii_graphic())
        && !admin.starts_with(['#', '.', '/', '|', '&'])
}

/// `dir` as a Maildir (dir, cur, new, tmp, mode 0700) owned by `uid` when given; what is
/// there already is kept.
pub fn maildir(dir: &Path, uid: Option<nix::unistd::Uid>) -> io::Result<bool> {
    if dir.join("new").is_dir() {
        return Ok(false);
    }
    for d in ["", "tmp", "new", "cur"] {
        let p = dir.join(d);
        match fs::DirBuilder::new().mode(0o700).create(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        if let Some(uid) = uid {
            nix::unistd::chown(&p, Some(uid), None).map_err(io::Error::from)?;
        }
        // no set-group-ID bit inherited from ~alias: the Maildir is alias's alone
        fs::set_permissions(&p, fs::Permissions::from_mode(0o700))?;
    }
    Ok(true)
}

fn create(path: &Path, text: &str) -> io::Result<bool> {
    let mut f = match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(e),
    };
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    Ok(true)
}

/// Create what is missing of the aliases (and the Maildir they deliver to) in the home's
/// alias/; the number of problems reported on `err`.
pub fn ensure(
    root: &Path,
    admin: Option<&str>,
    ids: Option<Ids>,
    out: &mut impl Write,
    err: &mut impl Write,
) -> usize {
    let alias = root.join("alias");
    let mut problems = 0usize;
    let mut warn = |what: &Path, e: &io::Error| {
        let _ = writeln!(
            err,
            "qmail-setup: warning: unable to create {}: {}",
            what.display(),
            errstr(e)
        );
        problems = problems.saturating_add(1);
    };
    if admin.is_none() {
        let md = alias.join(MAILDIR);
        match maildir(&md, ids.map(|i| i.alias)) {
            Ok(true) => {
                let _ = writeln!(out, "qmail-setup: created {}/", md.display());
            }
            Ok(false) => {}
            Err(e) => warn(&md, &e),
        }
    }
    let text = line(admin);
    for n in NAMES {
        let p = alias.join(format!(".qmail-{n}"));
        match create(&p, &text) {
            Ok(true) => {
                let _ = writeln!(
                    out,
                    "qmail-setup: mail to {n} goes to {}",
                    where_to(&alias, admin)
                );
            }
            Ok(false) => {}
            Err(e) => warn(&p, &e),
        }
    }
    problems
}

fn where_to(alias: &Path, admin: Option<&str>) -> String {
    match admin {
        Some(a) => a.to_string(),
        None => format!("{}/", alias.join(MAILDIR).display()),
    }
}

/// Where the lines of a .qmail file in `home` deliver to files: (path, is a Maildir).
fn deliveries(home: &Path, text: &str) -> Vec<(PathBuf, bool)> {
    text.lines()
        .filter(|l| l.starts_with(['.', '/']))
        .map(|l| (home.join(l), l.ends_with('/')))
        .collect()
}

/// One line for each of [`NAMES`] whose mail has nowhere to go under the home at `root`:
/// no alias file (and no .qmail-default), or a Maildir or mbox it names that is missing.
pub fn problems(root: &Path) -> Vec<String> {
    let alias = root.join("alias");
    let default = alias.join(".qmail-default").exists();
    let mut v = Vec::new();
    for n in NAMES {
        let p = alias.join(format!(".qmail-{n}"));
        let text = match fs::read_to_string(&p) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if !default {
                    v.push(format!(
                        "{} does not exist: mail to {n} bounces (qmail-setup creates it)",
                        p.display()
                    ));
                }
                continue;
            }
            Err(e) => {
                v.push(format!("unable to read {}: {}", p.display(), errstr(&e)));
                continue;
            }
        };
        for (path, is_maildir) in deliveries(&alias, &text) {
            let missing = if is_maildir {
                !path.join("new").is_dir()
            } else {
                !path.parent().is_some_and(Path::is_dir)
            };
            if missing {
                v.push(format!(
                    "{} delivers to {}, which does not exist: mail to {n} waits in the queue",
                    p.display(),
                    path.display()
                ));
            }
        }
    }
    v
}

/// The default Maildir for new accounts: `etc/skel/Maildir/` under `system` when the
/// system has an /etc/skel and no Maildir is there yet; the number of problems reported.
pub fn skel(system: &Path, out: &mut impl Write, err: &mut impl Write) -> usize {
    let skel = system.join("etc/skel");
    if !skel.is_dir() {
        return 0;
    }
    let md = skel.join(MAILDIR);
    match maildir(&md, None) {
        Ok(true) => {
            let _ = writeln!(
                out,
                "qmail-setup: created {}/: new accounts get a Maildir",
                md.display()
            );
            0
        }
        Ok(false) => 0,
        Err(e) => {
            let _ = writeln!(
                err,
                "qmail-setup: warning: unable to create {}: {}",
                md.display(),
                errstr(&e)
            );
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins() {
        assert!(valid_admin("alice"));
        assert!(valid_admin("alice@example.com"));
        for bad in ["", "a b", "|prog", "./Maildir/", "/etc", "#x", "&x", "a\nb"] {
            assert!(!valid_admin(bad), "{bad:?}");
        }
        assert_eq!(line(Some("alice")), "&alice\n");
        assert_eq!(line(None), "./Maildir/\n");
    }

    #[test]
    fn deliveries_of_lines() {
        let h = Path::new("/h");
        assert_eq!(
            deliveries(h, "# c\n./Maildir/\n&x\n|p\n/var/mail/a\n"),
            [
                (PathBuf::from("/h/./Maildir/"), true),
                (PathBuf::from("/var/mail/a"), false)
            ]
        );
    }
}
