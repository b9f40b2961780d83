//! Let man-db find the pages in man/ whatever the reader's PATH: one MANDATORY_MANPATH
//! line at the end of /etc/manpath.config. Mandatory directories come after those man-db
//! derives from PATH, so the system's own pages of the same name (sendmail(8) of another
//! MTA, mbox(5)) are still found first. (With the qmail home's bin/ in PATH, man-db finds
//! bin/../man by itself; this line is for everybody else.) Nothing is done without man-db.
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

pub const CONFIG: &str = "etc/manpath.config";

/// Whether a configuration line already names `man` as a manual directory.
fn mentions(text: &str, man: &str) -> bool {
    text.lines().any(|l| {
        let mut w = l.split_whitespace();
        matches!(w.next(), Some("MANDATORY_MANPATH" | "MANPATH_MAP")) && w.any(|f| f == man)
    })
}

/// Add the line unless present; the number of problems reported.
pub fn add(system: &Path, root: &Path, out: &mut impl Write, err: &mut impl Write) -> usize {
    let conf = system.join(CONFIG);
    let man = root.join("man").display().to_string();
    let (text, meta) = match (fs::read_to_string(&conf), fs::metadata(&conf)) {
        (Ok(t), Ok(m)) => (t, m),
        (Err(e), _) | (_, Err(e)) if e.kind() == io::ErrorKind::NotFound => return 0,
        (Err(e), _) | (_, Err(e)) => {
            let _ = writeln!(
                err,
                "qmail-setup: warning: unable to read {}: {}",
                conf.display(),
                qmail_core::errstr::errstr(&e)
            );
            return 1;
        }
    };
    if mentions(&text, &man) {
        return 0;
    }
    let mut new = text;
    if !new.is_empty() && !new.ends_with('\n') {
        new.push('\n');
    }
    new.push_str(&format!(
        "# qmail-setup: the qmail pages, after the system's\nMANDATORY_MANPATH\t\t\t{man}\n"
    ));
    // A new file renamed over the old one: a reader never sees half of it, and two
    // setups running at once leave the line there once.
    let tmp = conf.with_file_name(format!(".manpath.config.setup{}", std::process::id()));
    let r = fs::write(&tmp, new.as_bytes())
        .and_then(|()| fs::set_permissions(&tmp, fs::Permissions::from_mode(meta.mode() & 0o7777)))
        .and_then(|()| std::os::unix::fs::chown(&tmp, Some(meta.uid()), Some(meta.gid())))
        .and_then(|()| fs::rename(&tmp, &conf));
    match r {
        Ok(()) => {
            let _ = writeln!(out, "qmail-setup: added {man} to {}", conf.display());
            0
        }
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            let _ = writeln!(
                err,
                "qmail-setup: warning: unable to update {}: {}",
                conf.display(),
                qmail_core::errstr::errstr(&e)
            );
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::mentions;

    #[test]
    fn a_line_naming_the_directory_counts() {
        let man = "/var/qmail/man";
        assert!(mentions("MANDATORY_MANPATH\t/var/qmail/man\n", man));
        assert!(mentions("MANPATH_MAP /var/qmail/bin /var/qmail/man", man));
        assert!(!mentions("# MANDATORY_MANPATH /var/qmail/man\n", man));
        assert!(!mentions("MANDATORY_MANPATH /var/qmail/man8\n", man));
        assert!(!mentions(
            "MANDB_MAP /var/qmail/man /var/cache/man/qmail\n",
            man
        ));
        assert!(!mentions("", man));
    }
}
