//! The Maildir side: `$MAILDIR`, the stale tmp/ sweep and the list of finished messages.
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

/// One message: its path relative to the Maildir and its mtime (delivery time).
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub mtime: i64,
    pub name: PathBuf,
}

pub use qmail_core::maildir::clean;

/// Messages in new/ and cur/ delivered before `now`, oldest first. A message with the
/// current second as its mtime may still be arriving in this second's order; it waits for
/// the next run.
pub fn scan(now: i64) -> Result<Vec<Entry>, (&'static str, io::Error)> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        for e in fs::read_dir(sub).map_err(|e| (sub, e))? {
            let e = e.map_err(|e| (sub, e))?;
            if e.file_name().as_bytes().starts_with(b".") {
                continue;
            }
            let name = PathBuf::from(sub).join(e.file_name());
            let Ok(m) = fs::metadata(&name) else {
                continue;
            };
            if m.mtime() < now {
                out.push(Entry {
                    mtime: m.mtime(),
                    name,
                });
            }
        }
    }
    out.sort();
    Ok(out)
}
