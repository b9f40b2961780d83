//! The keys, read from dkim/keys (the working directory) as qmailk and kept loaded; a
//! key file that changes (a new key under the same name) is read again. A key file
//! that anybody but its owner may read is refused: the key is no secret any more.
use std::collections::HashMap;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::sync::{Arc, Mutex};

use qmail_dkim_core::Key;

/// A key file over this size is no key file.
const KEY_MAX: u64 = 64 * 1024;
/// Keys kept loaded; beyond this the cache starts again.
const CACHED_MAX: usize = 1024;

struct Cached {
    stamp: (u64, u64, i64, i64, u64),
    key: Arc<Key>,
}

#[derive(Default)]
pub struct Keys {
    cache: Mutex<HashMap<Vec<u8>, Cached>>,
}

fn stamp(m: &std::fs::Metadata) -> (u64, u64, i64, i64, u64) {
    (m.dev(), m.ino(), m.mtime(), m.mtime_nsec(), m.size())
}

impl Keys {
    /// The key in file `name` (checked by the request parser: no `/`, no `..`).
    pub fn get(&self, name: &[u8]) -> Result<Arc<Key>, String> {
        let shown = String::from_utf8_lossy(name).into_owned();
        let path = std::ffi::OsStr::from_bytes(name);
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
            .open(path)
            .map_err(|e| {
                format!(
                    "unable to open key file dkim/keys/{shown}: {}",
                    qmail_core::errstr::errstr(&e)
                )
            })?;
        let meta = f
            .metadata()
            .map_err(|e| format!("unable to stat dkim/keys/{shown}: {e}"))?;
        if !meta.is_file() {
            return Err(format!("dkim/keys/{shown} is not a regular file"));
        }
        if meta.mode() & 0o077 != 0 {
            return Err(format!(
                "dkim/keys/{shown} may be read by others than its owner (mode {:o}): chmod 400 it, or make a new key",
                meta.mode() & 0o7777
            ));
        }
        let st = stamp(&meta);
        if let Ok(c) = self.cache.lock() {
            if let Some(k) = c.get(name).filter(|k| k.stamp == st) {
                return Ok(Arc::clone(&k.key));
            }
        }
        let mut pem = Vec::new();
        f.by_ref()
            .take(KEY_MAX.saturating_add(1))
            .read_to_end(&mut pem)
            .map_err(|e| format!("unable to read dkim/keys/{shown}: {e}"))?;
        if u64::try_from(pem.len()).unwrap_or(u64::MAX) > KEY_MAX {
            return Err(format!("dkim/keys/{shown} is too large for a key"));
        }
        let key = Key::from_pem(&pem).map_err(|e| format!("dkim/keys/{shown}: {e}"))?;
        let key = Arc::new(key);
        if let Ok(mut c) = self.cache.lock() {
            if c.len() >= CACHED_MAX {
                c.clear();
            }
            c.insert(
                name.to_vec(),
                Cached {
                    stamp: st,
                    key: Arc::clone(&key),
                },
            );
        }
        Ok(key)
    }
}
