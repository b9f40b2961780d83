//! What qmail-pop3d and maildir2mbox both do to a Maildir (the current directory) before
//! reading it: sweep tmp/ of files a delivery that died left behind.
use std::fs;
use std::os::unix::fs::MetadataExt;

/// tmp/ files not accessed for this long (36 hours) are left over from failed deliveries.
pub const TMP_MAX_AGE: i64 = 36 * 60 * 60;

/// Remove the stale files of tmp/. Problems are ignored: this is housekeeping, and the
/// next run tries again.
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
