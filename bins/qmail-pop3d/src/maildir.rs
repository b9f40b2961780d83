//! The Maildir as qmail-pop3d sees it: tmp/ is swept of files not accessed for 36 hours,
//! and the messages are the files of new/ and cur/, oldest first. A file whose mtime is
//! not yet in the past is left for the next session, so that messages delivered within
//! the same second as the scan cannot be listed out of order.
use std::ffi::OsStr;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;

use qmail_pop3::state::Message;

pub use qmail_core::maildir::{clean, TMP_MAX_AGE};

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
