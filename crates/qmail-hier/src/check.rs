//! The Check interpreter (instcheck): stat every entry without following symlinks and
//! report each difference from the table, one warning per difference.
use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::{Apply, Entry, HierError, Ids, Kind};
use qmail_core::errstr::errstr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    Missing,
    Owner,
    Group,
    Permissions,
    Type,
    /// stat failed for another reason than "does not exist".
    Stat(String),
}

/// One line of instcheck output (without the `instcheck: warning: ` prefix).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub path: PathBuf,
    pub problem: Problem,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.path.display();
        match &self.problem {
            Problem::Missing => write!(f, "{p} does not exist"),
            Problem::Owner => write!(f, "{p} has wrong owner"),
            Problem::Group => write!(f, "{p} has wrong group"),
            Problem::Permissions => write!(f, "{p} has wrong permissions"),
            Problem::Type => write!(f, "{p} has wrong type"),
            Problem::Stat(e) => write!(f, "unable to stat {p}: {e}"),
        }
    }
}

pub struct Check {
    root: PathBuf,
    /// None: owners and groups are not compared (a DESTDIR image).
    ids: Option<Ids>,
    installed: HashSet<String>,
    pub warnings: Vec<Warning>,
}

impl Check {
    /// `installed`: the programs listed in doc/INSTALLED; a program neither listed nor
    /// present in bin/ was never built and is not checked.
    pub fn new(root: &Path, ids: Option<Ids>, installed: &[String]) -> Check {
        Check {
            root: root.to_path_buf(),
            ids,
            installed: installed.iter().cloned().collect(),
            warnings: Vec::new(),
        }
    }

    fn warn(&mut self, path: &Path, problem: Problem) {
        self.warnings.push(Warning {
            path: path.to_path_buf(),
            problem,
        });
    }
}

impl Apply for Check {
    fn apply(&mut self, e: &Entry) -> Result<(), HierError> {
        let rel = e.path();
        let path = e.full(&self.root);
        // The home may be a symlink (to another filesystem, say); nothing under it may.
        let st = if rel.is_empty() {
            fs::metadata(&path)
        } else {
            fs::symlink_metadata(&path)
        };
        let meta = match st {
            Ok(m) => m,
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                let optional = matches!(e, Entry::Program { .. } | Entry::Boot { .. });
                if optional && !self.installed.contains(&rel) {
                    return Ok(());
                }
                self.warn(&path, Problem::Missing);
                return Ok(());
            }
            Err(err) => {
                self.warn(&path, Problem::Stat(errstr(&err)));
                return Ok(());
            }
        };
        if let Some(ids) = self.ids {
            if meta.uid() != ids.uid(e.owner()).as_raw() {
                self.warn(&path, Problem::Owner);
            }
            if meta.gid() != ids.qmail.as_raw() {
                self.warn(&path, Problem::Group);
            }
        }
        if meta.mode() & 0o7777 != e.mode() {
            self.warn(&path, Problem::Permissions);
        }
        let t = meta.file_type();
        let ok = match e.kind() {
            Kind::Dir => t.is_dir(),
            Kind::Fifo => t.is_fifo(),
            Kind::File => t.is_file(),
        };
        if !ok {
            self.warn(&path, Problem::Type);
        }
        Ok(())
    }
}
