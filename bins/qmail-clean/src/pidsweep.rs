//! Remove `pid/` files a crashed qmail-queue left behind. A file is stale once its atime is
//! OSSIFIED seconds old; that exceeds qmail-queue's 24-hour suicide alarm, so no live
//! qmail-queue can still own it.
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use qmail_core::queue::Dir;

pub use qmail_core::queue::OSSIFIED;

pub fn sweep_pid(queue: &Path, now: i64) {
    let dir = queue.join(Dir::Pid.name());
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if now >= meta.atime().saturating_add(OSSIFIED) {
            let _ = std::fs::remove_file(&path);
        }
    }
}
