//! The Maildir as qmail-pop3d sees it: tmp/ is swept of files not accessed for 36 hours,
//! and the messages are the files of new/ and cur/, oldest first. A file whose mtime is
//! not yet in the past is left for the next session, so that messages delivered within
//! the same second as the scan cannot be listed out of order.
use std::ffi::OsStr;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;

use crate::pop3::Message;

/// tmp/ files not accessed for this long are left over from failed deliveries.
pub const TMP_MAX_AGE: i64 = 36 * 60 * 60;

/// Remove stale files from tmp/ (errors are ignored: this is housekeeping).
pub fn clean(now: i64) {
    let Ok(dir) = fs::read_dir("tmp") else {
        return;
    };
    for e in dir.flatten() {
        let path = e.path();
        if let Ok(m) = fs::metadata(&path) {
            if now > m.atime().saturating_add(TMP_MAX_AGE) {
                let _ = fs::remove_file(&path);
            }
        }
    }
}

/// The messages of new/ and cur/ with an mtime before `now`, oldest first.
pub fn scan(now: i64) -> io::Result<Vec<Message>> {
    let mut found: Vec<(i64, i64, Message)> = Vec::new();
    for sub in ["new", "cur"] {
        for e in fs::read_dir(sub)? {
            let e = e?;
            let name = e.file_name();
            if name.as_bytes().first() == Some(&b'.') {
                continue;
            }
            let mut path = Vec::with_capacity(name.len().saturating_add(4));
            path.extend_from_slice(sub.as_bytes());
            path.push(b'/');
            path.extend_from_slice(name.as_bytes());
            let Ok(m) = fs::metadata(OsStr::from_bytes(&path)) else {
                continue;
            };
            if !m.is_file() || m.mtime() >= now {
                continue;
            }
            found.push((m.mtime(), m.mtime_nsec(), Message::new(path, m.len())));
        }
    }
    found.sort_by(|a, b| (a.0, a.1, &a.2.name).cmp(&(b.0, b.1, &b.2.name)));
    Ok(found.into_iter().map(|(_, _, m)| m).collect())
}
