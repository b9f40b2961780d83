//! What is in the queue: every message's files (wherever they are), files in the wrong
//! split subdirectory, names that are not queue files, and stale pid/ files.
use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use qmail_core::queue::{parse_id, split_of, Dir, OSSIFIED};

use crate::links::Message;

/// One message file as found.
#[derive(Clone, Debug)]
pub struct File {
    pub dir: Dir,
    pub path: PathBuf,
    pub uid: u32,
    pub mode: u32,
}

#[derive(Default, Debug)]
pub struct Inventory {
    pub messages: BTreeMap<u64, Message>,
    pub files: BTreeMap<u64, Vec<File>>,
    /// (where it is, where the split wants it)
    pub misplaced: Vec<(PathBuf, PathBuf)>,
    /// Split subdirectories the split does not have.
    pub extra_subdirs: Vec<PathBuf>,
    /// Entries that are not queue files (bad names, wrong types).
    pub strangers: Vec<PathBuf>,
    /// pid/ files older than a live qmail-queue can be.
    pub stale_pids: Vec<PathBuf>,
}

fn entries(dir: &Path) -> io::Result<Vec<(String, fs::Metadata)>> {
    let mut v = Vec::new();
    for e in fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        let meta = fs::symlink_metadata(e.path())?;
        v.push((name, meta));
    }
    v.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(v)
}

impl Inventory {
    /// Read `queue` as split `split`; `now` decides what is old. A directory that is
    /// missing is skipped (the layout check reports it).
    pub fn read(queue: &Path, split: u32, now: i64) -> io::Result<Inventory> {
        let mut inv = Inventory::default();
        for d in Dir::BY_ID {
            let dir = queue.join(d.name());
            let list = match entries(&dir) {
                Ok(l) => l,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            if !d.is_split() {
                for (name, meta) in list {
                    inv.file(d, dir.join(name), &meta, now, None);
                }
                continue;
            }
            for (sub, meta) in list {
                let subdir = dir.join(&sub);
                let n = parse_id(sub.as_bytes());
                if meta.is_file() && n.is_some() {
                    // straight in mess/ (say): it belongs in a subdirectory
                    inv.file(d, subdir, &meta, now, Some((&dir, None, split)));
                    continue;
                }
                if !meta.is_dir() || n.is_none() {
                    inv.strangers.push(subdir);
                    continue;
                }
                if n.is_some_and(|n| n >= u64::from(split.max(1))) {
                    inv.extra_subdirs.push(subdir.clone());
                }
                for (name, meta) in entries(&subdir)? {
                    inv.file(d, subdir.join(name), &meta, now, Some((&dir, n, split)));
                }
            }
        }
        match entries(&queue.join(Dir::Pid.name())) {
            Ok(list) => {
                for (name, meta) in list {
                    if meta.mtime().saturating_add(OSSIFIED) < now {
                        inv.stale_pids.push(queue.join(Dir::Pid.name()).join(name));
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(inv)
    }

    /// A file found at `path` in directory `dir`; for a split directory `top`, `sub` is
    /// the subdirectory it is in (None: straight in `top`).
    fn file(
        &mut self,
        dir: Dir,
        path: PathBuf,
        meta: &fs::Metadata,
        now: i64,
        split: Option<(&Path, Option<u64>, u32)>,
    ) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let id = parse_id(name.as_bytes());
        let Some(id) = id.filter(|_| meta.is_file()) else {
            self.strangers.push(path);
            return;
        };
        if let Some((top, sub, split)) = split {
            let want = split_of(id, split);
            if sub != Some(want) {
                self.misplaced
                    .push((path.clone(), top.join(want.to_string()).join(&name)));
            }
        }
        let old = meta.mtime().saturating_add(OSSIFIED) < now;
        let m = self.messages.entry(id).or_insert(Message {
            present: Vec::new(),
            old: true,
        });
        if !m.present.contains(&dir) {
            m.present.push(dir);
        }
        m.old &= old;
        self.files.entry(id).or_default().push(File {
            dir,
            path,
            uid: meta.uid(),
            mode: meta.mode() & 0o7777,
        });
    }
}
