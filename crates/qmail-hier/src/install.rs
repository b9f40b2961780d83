//! The Install interpreter: create what is missing, then set owner, group and mode. It
//! never truncates or recreates something that exists (an existing queue survives), and it
//! replaces a program by writing a temporary file and renaming it over the old one, so a
//! running copy is never modified under its feet.
use std::fs::{self, DirBuilder, File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::{Apply, Entry, HierError, Ids, Kind, Owner};

/// The string replaced by the home directory in installed pages (qmail's .9 idea).
pub const HOME_PLACEHOLDER: &[u8] = b"@QMAILHOME@";

pub struct Install {
    root: PathBuf,
    bindir: PathBuf,
    /// The source tree holding boot/; None installs no boot files.
    srcdir: Option<PathBuf>,
    /// None: do not chown (a DESTDIR image built for a package).
    ids: Option<Ids>,
    /// Programs of the table whose binary is not in `bindir` (not built yet).
    pub skipped: Vec<&'static str>,
    /// Relative paths of the programs and pages present after installing.
    pub installed: Vec<String>,
}

impl Install {
    pub fn new(root: &Path, bindir: &Path, ids: Option<Ids>) -> Install {
        Install {
            root: root.to_path_buf(),
            bindir: bindir.to_path_buf(),
            srcdir: None,
            ids,
            skipped: Vec::new(),
            installed: Vec::new(),
        }
    }

    /// Take the boot files from this source tree.
    pub fn with_srcdir(mut self, srcdir: &Path) -> Install {
        self.srcdir = Some(srcdir.to_path_buf());
        self
    }

    /// Set owner, group and mode through a descriptor opened without following a final
    /// symlink, so a queue user who swapped an entry for a symlink cannot make root chown
    /// or chmod another file. The home itself may be a symlink.
    fn fix(
        &self,
        path: &Path,
        kind: Kind,
        owner: Owner,
        mode: u32,
        home: bool,
    ) -> Result<(), HierError> {
        let mut flags = libc::O_NONBLOCK;
        if !home {
            flags |= libc::O_NOFOLLOW;
        }
        if kind == Kind::Dir {
            flags |= libc::O_DIRECTORY;
        }
        let f = OpenOptions::new()
            .read(true)
            .custom_flags(flags)
            .open(path)
            .map_err(HierError::io("open", path))?;
        let meta = f.metadata().map_err(HierError::io("stat", path))?;
        let t = meta.file_type();
        let ok = match kind {
            Kind::Dir => t.is_dir(),
            Kind::Fifo => t.is_fifo(),
            Kind::File => t.is_file(),
        };
        if !ok {
            return Err(not_kind(path, kind));
        }
        let mut chowned = false;
        if let Some(ids) = &self.ids {
            let (uid, gid) = (ids.uid(owner).as_raw(), ids.qmail.as_raw());
            if meta.uid() != uid || meta.gid() != gid {
                std::os::unix::fs::fchown(&f, Some(uid), Some(gid))
                    .map_err(HierError::io("chown", path))?;
                chowned = true; // chown may have cleared the setuid bit
            }
        }
        if chowned || meta.mode() & 0o7777 != mode {
            f.set_permissions(Permissions::from_mode(mode))
                .map_err(HierError::io("chmod", path))?;
        }
        Ok(())
    }

    /// Install generated text (the INSTALLED list) as a page: root, mode 0644.
    pub fn put_page(&mut self, rel: &str, data: &[u8]) -> Result<(), HierError> {
        self.put(rel, data, Owner::Root, crate::PAGE_MODE)
    }

    /// Install `data` as `rel` unless the file already holds exactly these bytes.
    fn put(&mut self, rel: &str, data: &[u8], owner: Owner, mode: u32) -> Result<(), HierError> {
        let dst = crate::full(&self.root, rel);
        let same = match fs::symlink_metadata(&dst) {
            Ok(m) if m.file_type().is_file() => {
                fs::read(&dst).map(|old| old == data).unwrap_or(false)
            }
            _ => false,
        };
        if !same {
            let name = dst
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let tmp = dst.with_file_name(format!(".{name}.setup{}", std::process::id()));
            let r = self
                .write_new(&tmp, data, owner, mode)
                .and_then(|()| fs::rename(&tmp, &dst).map_err(HierError::io("rename", &dst)));
            if r.is_err() {
                let _ = fs::remove_file(&tmp);
            }
            r?;
        }
        self.fix(&dst, Kind::File, owner, mode, false)?;
        self.installed.push(rel.to_string());
        Ok(())
    }

    fn write_new(&self, tmp: &Path, data: &[u8], owner: Owner, mode: u32) -> Result<(), HierError> {
        match fs::remove_file(tmp) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(HierError::io("unlink", tmp)(e))
            }
            _ => {}
        }
        let mut f = new_file(tmp)?;
        f.write_all(data).map_err(HierError::io("write", tmp))?;
        if let Some(ids) = &self.ids {
            let (uid, gid) = (ids.uid(owner).as_raw(), ids.qmail.as_raw());
            std::os::unix::fs::fchown(&f, Some(uid), Some(gid))
                .map_err(HierError::io("chown", tmp))?;
        }
        f.set_permissions(Permissions::from_mode(mode))
            .map_err(HierError::io("chmod", tmp))?;
        f.sync_all().map_err(HierError::io("fsync", tmp))
    }
}

/// O_EXCL create, mode 0600 until the final owner and mode are set.
fn new_file(path: &Path) -> Result<File, HierError> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(HierError::io("create", path))
}

fn not_kind(path: &Path, kind: Kind) -> HierError {
    let want = match kind {
        Kind::Dir => "directory",
        Kind::Fifo => "FIFO",
        Kind::File => "regular file",
    };
    HierError::NotKind {
        path: path.to_path_buf(),
        want,
    }
}

fn exists(path: &Path) -> Result<bool, HierError> {
    match fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(HierError::io("stat", path)(e)),
    }
}

/// `data` with every `@QMAILHOME@` replaced by the compiled-in home.
pub fn fill_home(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut rest = data;
    while !rest.is_empty() {
        if rest.starts_with(HOME_PLACEHOLDER) {
            out.extend_from_slice(qmail_core::auto::QMAIL.as_bytes());
            rest = rest.get(HOME_PLACEHOLDER.len()..).unwrap_or_default();
        } else if let Some((&b, tail)) = rest.split_first() {
            out.push(b);
            rest = tail;
        }
    }
    out
}

impl Apply for Install {
    fn apply(&mut self, e: &Entry) -> Result<(), HierError> {
        let path = e.full(&self.root);
        match e {
            Entry::Dir {
                path: rel,
                owner,
                mode,
            } => {
                if rel.is_empty() {
                    DirBuilder::new()
                        .recursive(true)
                        .mode(0o755)
                        .create(&path)
                        .map_err(HierError::io("create", &path))?;
                } else if !exists(&path)? {
                    DirBuilder::new()
                        .mode(0o700)
                        .create(&path)
                        .map_err(HierError::io("mkdir", &path))?;
                }
                self.fix(&path, Kind::Dir, *owner, *mode, rel.is_empty())
            }
            Entry::Fifo { owner, mode, .. } => {
                if !exists(&path)? {
                    nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o600))
                        .map_err(|e| HierError::io("mkfifo", &path)(io::Error::from(e)))?;
                }
                self.fix(&path, Kind::Fifo, *owner, *mode, false)
            }
            Entry::Zero {
                len, owner, mode, ..
            } => {
                if !exists(&path)? {
                    let mut f = new_file(&path)?;
                    let n = usize::try_from(*len).map_err(|_| {
                        HierError::io("create", &path)(io::ErrorKind::InvalidInput.into())
                    })?;
                    f.write_all(&vec![0u8; n])
                        .map_err(HierError::io("write", &path))?;
                    f.sync_all().map_err(HierError::io("fsync", &path))?;
                }
                self.fix(&path, Kind::File, *owner, *mode, false)
            }
            Entry::Program { name, owner, mode } => {
                let src = self.bindir.join(name);
                if !src.is_file() {
                    self.skipped.push(name);
                    return Ok(());
                }
                let data = fs::read(&src).map_err(HierError::io("read", &src))?;
                self.put(&e.path(), &data, *owner, *mode)
            }
            Entry::Boot { path: rel, mode } => {
                let Some(src) = self.srcdir.as_ref().map(|d| d.join(rel)) else {
                    return Ok(());
                };
                if !src.is_file() {
                    return Ok(());
                }
                let data = fs::read(&src).map_err(HierError::io("read", &src))?;
                self.put(rel, &fill_home(&data), Owner::Root, *mode)
            }
            Entry::Page { path: rel, src } => match src {
                Some(src) => {
                    let data = fs::read(src).map_err(HierError::io("read", src))?;
                    self.put(rel, &fill_home(&data), Owner::Root, crate::PAGE_MODE)
                }
                None => {
                    self.fix(&path, Kind::File, Owner::Root, crate::PAGE_MODE, false)?;
                    self.installed.push(rel.clone());
                    Ok(())
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_is_filled_in() {
        let home = qmail_core::auto::QMAIL;
        assert_eq!(
            fill_home(b"@QMAILHOME@/bin x @QMAILHOME@"),
            format!("{home}/bin x {home}").into_bytes()
        );
        assert_eq!(fill_home(b"@QMAILHOME"), b"@QMAILHOME".to_vec());
        assert_eq!(fill_home(b""), b"".to_vec());
    }
}
