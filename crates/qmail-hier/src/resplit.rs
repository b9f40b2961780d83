//! Changing a queue's split (qmail-upq, qmail-qfix -s): every file of mess/, info/, local/
//! and remote/ moves into the subdirectory its message number selects, for any split.
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use qmail_core::queue::{parse_id, Dir};

/// A failure that stops the whole run (a split directory that cannot be read or given
/// its new subdirectories).
#[derive(Debug, thiserror::Error)]
#[error("unable to {op} {}: {}", path.display(), qmail_core::errstr::errstr(err))]
pub struct Trouble {
    op: &'static str,
    path: PathBuf,
    err: io::Error,
}

fn trouble(op: &'static str, path: &Path) -> impl FnOnce(io::Error) -> Trouble {
    let path = path.to_path_buf();
    move |err| Trouble { op, path, err }
}

/// What a run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Moved {
    pub files: usize,
    pub dirs_made: usize,
    pub dirs_removed: usize,
    /// Files left where they were, each reported on the warning stream.
    pub warnings: usize,
}

/// Subdirectories 0..split-1 of `dir`, with the owner, group and mode of `dir` itself
/// (qmailq or qmails, group qmail, as the installer made them).
fn make_subdirs(dir: &Path, split: u64, m: &mut Moved) -> Result<(), Trouble> {
    let st = fs::metadata(dir).map_err(trouble("stat", dir))?;
    for n in 0..split {
        let sub = dir.join(n.to_string());
        if sub.is_dir() {
            continue;
        }
        fs::create_dir(&sub).map_err(trouble("mkdir", &sub))?;
        std::os::unix::fs::chown(&sub, Some(st.uid()), Some(st.gid()))
            .map_err(trouble("chown", &sub))?;
        fs::set_permissions(&sub, fs::Permissions::from_mode(st.mode() & 0o7777))
            .map_err(trouble("chmod", &sub))?;
        m.dirs_made = m.dirs_made.saturating_add(1);
    }
    Ok(())
}

fn names(dir: &Path) -> Result<Vec<String>, Trouble> {
    let mut v = Vec::new();
    for e in fs::read_dir(dir).map_err(trouble("read", dir))? {
        let e = e.map_err(trouble("read", dir))?;
        v.push(e.file_name().to_string_lossy().into_owned());
    }
    v.sort();
    Ok(v)
}

/// Move one file to where `split` wants it, unless it is there already.
/// Warnings go to `warn`, each line prefixed with `prog`.
struct Warn<'a, W: Write> {
    prog: &'a str,
    out: &'a mut W,
}

fn place<W: Write>(
    dir: &Path,
    from: &Path,
    name: &str,
    split: u64,
    m: &mut Moved,
    w: &mut Warn<W>,
) {
    let (prog, warn) = (w.prog, &mut *w.out);
    let Some(id) = parse_id(name.as_bytes()) else {
        let _ = writeln!(
            warn,
            "{prog}: warning: leaving {}: not a queue file name",
            from.display()
        );
        m.warnings = m.warnings.saturating_add(1);
        return;
    };
    let to = dir.join((id % split).to_string()).join(name);
    if to == from {
        return;
    }
    // Never overwrite: two files for one message would mean a damaged queue.
    if fs::symlink_metadata(&to).is_ok() {
        let _ = writeln!(
            warn,
            "{prog}: warning: leaving {}: {} exists",
            from.display(),
            to.display()
        );
        m.warnings = m.warnings.saturating_add(1);
        return;
    }
    match fs::rename(from, &to) {
        Ok(()) => m.files = m.files.saturating_add(1),
        Err(e) => {
            let _ = writeln!(
                warn,
                "{prog}: warning: unable to move {} to {}: {}",
                from.display(),
                to.display(),
                qmail_core::errstr::errstr(&e)
            );
            m.warnings = m.warnings.saturating_add(1);
        }
    }
}

/// Reorganize `queue` for `split` subdirectories; warnings go to `warn`, each line
/// prefixed with the program's name `prog`.
pub fn resplit(
    queue: &Path,
    split: u64,
    prog: &str,
    warn: &mut impl Write,
) -> Result<Moved, Trouble> {
    let mut warn = Warn { prog, out: warn };
    let split = split.max(1);
    let mut m = Moved::default();
    for d in Dir::SPLIT.map(Dir::name) {
        let dir = queue.join(d);
        make_subdirs(&dir, split, &mut m)?;
        for sub in names(&dir)? {
            let path = dir.join(&sub);
            let Ok(st) = fs::symlink_metadata(&path) else {
                continue;
            };
            if st.is_file() {
                // a file straight in the directory: put it where it belongs too
                place(&dir, &path, &sub, split, &mut m, &mut warn);
                continue;
            }
            if !st.is_dir() {
                continue;
            }
            for name in names(&path)? {
                let from = path.join(&name);
                if fs::symlink_metadata(&from).is_ok_and(|s| s.is_file()) {
                    place(&dir, &from, &name, split, &mut m, &mut warn);
                }
            }
            // An old subdirectory beyond the new split, emptied: gone.
            let wanted = parse_id(sub.as_bytes()).is_some_and(|n| n < split)
                && !(sub.len() > 1 && sub.starts_with('0'));
            if !wanted && fs::remove_dir(&path).is_ok() {
                m.dirs_removed = m.dirs_removed.saturating_add(1);
            }
        }
    }
    Ok(m)
}
