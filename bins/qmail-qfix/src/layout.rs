//! The queue's directories, lock files and trigger FIFO, as qmail-hier's table has them
//! (owner, group, mode, type), for any split.
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use qmail_core::queue::{dirs::QUEUE, Dir};
use qmail_hier::{Apply, Check, Entry, HierError, Ids, Install, Warning};

/// The table's entries under queue/, with the split subdirectories of `split`.
pub fn entries(split: u32) -> Vec<Entry> {
    let split_parents: Vec<String> = Dir::SPLIT
        .iter()
        .map(|d| format!("{QUEUE}/{}", d.name()))
        .collect();
    let mut out = Vec::new();
    for e in qmail_hier::hier() {
        let p = e.path();
        if p != QUEUE && !p.starts_with(&format!("{QUEUE}/")) {
            continue;
        }
        let is_sub = Path::new(&p)
            .parent()
            .is_some_and(|par| split_parents.iter().any(|s| Path::new(s) == par));
        if is_sub {
            continue;
        }
        let parent_split = split_parents.contains(&p);
        let (owner, mode) = (e.owner(), e.mode());
        out.push(e);
        if parent_split {
            for n in 0..split.max(1) {
                out.push(Entry::Dir {
                    path: format!("{p}/{n}"),
                    owner,
                    mode,
                });
            }
        }
    }
    out
}

/// Every difference between the queue under `home` and the table.
pub fn check(home: &Path, split: u32, ids: Option<Ids>) -> Result<Vec<Warning>, HierError> {
    let mut c = Check::new(home, ids, &[]);
    for e in entries(split) {
        c.apply(&e)?;
    }
    Ok(c.warnings)
}

/// Make the queue under `home` what the table says: create what is missing, replace a
/// lock file or FIFO of the wrong type, set owners and modes. A directory in the place of
/// a file is removed only when empty.
pub fn repair(home: &Path, split: u32, ids: Option<Ids>) -> Result<(), HierError> {
    let mut inst = Install::new(home, Path::new("/nonexistent"), ids);
    for e in entries(split) {
        let path = e.full(home);
        if let Ok(meta) = fs::symlink_metadata(&path) {
            let want_dir = matches!(e, Entry::Dir { .. });
            let ok = match e.kind() {
                qmail_hier::Kind::Dir => meta.is_dir(),
                qmail_hier::Kind::Fifo => {
                    std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type())
                }
                qmail_hier::Kind::File => meta.is_file(),
            };
            if !ok {
                let r = if meta.is_dir() && !want_dir {
                    fs::remove_dir(&path)
                } else {
                    fs::remove_file(&path)
                };
                r.map_err(|err| io_err("remove", &path, err))?;
            }
        }
        inst.apply(&e)?;
    }
    Ok(())
}

fn io_err(op: &'static str, path: &Path, err: io::Error) -> HierError {
    HierError::Io {
        op,
        path: PathBuf::from(path),
        err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_follow_the_split() {
        let e: Vec<String> = entries(3).iter().map(Entry::path).collect();
        assert!(e.contains(&"queue/mess/2".to_string()));
        assert!(!e.contains(&"queue/mess/3".to_string()));
        assert!(e.contains(&"queue/lock/trigger".to_string()));
        assert!(e.contains(&"queue".to_string()));
        assert!(!e.iter().any(|p| p.starts_with("bin") || p.is_empty()));
        let parent = e.iter().position(|p| p == "queue/info");
        let child = e.iter().position(|p| p == "queue/info/0");
        assert!(parent < child);
    }
}
