//! qmail's hier.c idea: one declarative table of every path qmail-rs installs, with its
//! owner, group and mode, read by several interpreters ([`Install`] for qmail-setup,
//! [`Check`] for instcheck and the tests). The table is data; nothing else in the project
//! knows the modes.
#![forbid(unsafe_code)]

mod check;
mod ids;
mod install;
pub mod resplit;
mod table;

use std::path::{Path, PathBuf};

pub use check::{Check, Problem, Warning};
pub use ids::{Ids, Owner};
pub use install::Install;
pub use table::{hier, BOOT, PROGRAMS};

/// The list of installed programs, boot files and pages that qmail-setup writes, relative
/// to the home. instcheck checks a program or boot file listed here even when it has gone
/// missing; one that is neither listed nor present was never installed and is not checked.
pub const INSTALLED: &str = "doc/INSTALLED";

/// Mode of man pages, docs and the INSTALLED list.
pub const PAGE_MODE: u32 = 0o644;

/// One thing the installer creates. Paths are relative to the qmail home; `""` is the home.
/// Every entry belongs to group qmail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    Dir {
        path: String,
        owner: Owner,
        mode: u32,
    },
    Fifo {
        path: &'static str,
        owner: Owner,
        mode: u32,
    },
    /// A file of `len` zero bytes, created once and never truncated afterwards.
    Zero {
        path: &'static str,
        len: u64,
        owner: Owner,
        mode: u32,
    },
    /// `bin/<name>`, copied from the build directory.
    Program {
        name: &'static str,
        owner: Owner,
        mode: u32,
    },
    /// An example start script or service file, owned by root, copied from the same path
    /// in the source tree with `@QMAILHOME@` replaced. Like a program, it is skipped when
    /// the source tree does not have it.
    Boot { path: &'static str, mode: u32 },
    /// A text file owned by root, mode 0644 (a man page, a doc), copied from `src` with
    /// `@QMAILHOME@` replaced. `src` is None when only checking.
    Page { path: String, src: Option<PathBuf> },
}

/// What kind of file an entry is, as stat reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Dir,
    Fifo,
    File,
}

impl Entry {
    /// The path relative to the qmail home.
    pub fn path(&self) -> String {
        match self {
            Entry::Dir { path, .. } | Entry::Page { path, .. } => path.clone(),
            Entry::Fifo { path, .. } | Entry::Zero { path, .. } | Entry::Boot { path, .. } => {
                (*path).to_string()
            }
            Entry::Program { name, .. } => format!("bin/{name}"),
        }
    }

    pub fn owner(&self) -> Owner {
        match self {
            Entry::Dir { owner, .. }
            | Entry::Fifo { owner, .. }
            | Entry::Zero { owner, .. }
            | Entry::Program { owner, .. } => *owner,
            Entry::Page { .. } | Entry::Boot { .. } => Owner::Root,
        }
    }

    pub fn mode(&self) -> u32 {
        match self {
            Entry::Dir { mode, .. }
            | Entry::Fifo { mode, .. }
            | Entry::Zero { mode, .. }
            | Entry::Program { mode, .. }
            | Entry::Boot { mode, .. } => *mode,
            Entry::Page { .. } => PAGE_MODE,
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Entry::Dir { .. } => Kind::Dir,
            Entry::Fifo { .. } => Kind::Fifo,
            Entry::Zero { .. }
            | Entry::Program { .. }
            | Entry::Page { .. }
            | Entry::Boot { .. } => Kind::File,
        }
    }

    /// The full path under `root` (the home, with any DESTDIR prefix).
    pub fn full(&self, root: &Path) -> PathBuf {
        full(root, &self.path())
    }
}

/// `root/path`, and `root` itself for the home entry.
pub fn full(root: &Path, path: &str) -> PathBuf {
    if path.is_empty() {
        root.to_path_buf()
    } else {
        root.join(path)
    }
}

/// Apply one table entry: create it, check it, ...
pub trait Apply {
    fn apply(&mut self, e: &Entry) -> Result<(), HierError>;
}

#[derive(Debug, thiserror::Error)]
pub enum HierError {
    #[error("unable to {op} {}: {}", path.display(), qmail_core::errstr::errstr(err))]
    Io {
        op: &'static str,
        path: PathBuf,
        err: std::io::Error,
    },
    #[error("{} exists but is not a {want}", path.display())]
    NotKind { path: PathBuf, want: &'static str },
    #[error("{0}")]
    Id(#[from] qmail_core::ids::IdError),
}

impl HierError {
    pub(crate) fn io(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> HierError {
        let path = path.to_path_buf();
        move |err| HierError::Io { op, path, err }
    }
}

/// The home with a packager's DESTDIR in front (empty DESTDIR = none).
pub fn root_with(destdir: Option<&std::ffi::OsStr>) -> PathBuf {
    let home = Path::new(qmail_core::auto::QMAIL);
    match destdir {
        Some(d) if !d.is_empty() => {
            let rel = home.strip_prefix("/").unwrap_or(home);
            Path::new(d).join(rel)
        }
        _ => home.to_path_buf(),
    }
}

/// The entries listed in `root/doc/INSTALLED`: the paths of installed programs (`bin/...`),
/// boot files (`boot/...`) and pages (anything else). A missing list is empty.
pub fn read_installed(root: &Path) -> Result<Vec<String>, HierError> {
    let path = root.join(INSTALLED);
    match std::fs::read(&path) {
        Ok(data) => Ok(data
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(HierError::Io {
            op: "read",
            path,
            err: e,
        }),
    }
}

/// Everything instcheck looks at under `root`: the table, plus the pages named in INSTALLED
/// (every listed path the table does not know).
pub fn entries(root: &Path) -> Result<(Vec<Entry>, Vec<String>), HierError> {
    let installed = read_installed(root)?;
    let mut all = hier();
    let known: std::collections::HashSet<String> = all.iter().map(Entry::path).collect();
    for p in &installed {
        if !p.starts_with("bin/") && !known.contains(p) {
            all.push(Entry::Page {
                path: p.clone(),
                src: None,
            });
        }
    }
    Ok((all, installed))
}
