//! qmail's words for system errors (its error_str), used in qmail-qread's warnings.
use std::io;

pub fn errstr(e: &io::Error) -> String {
    let s = match e.raw_os_error() {
        Some(libc::ENOENT) => "file does not exist",
        Some(libc::EACCES) => "access denied",
        Some(libc::EPERM) => "permission denied",
        Some(libc::ENOTDIR) => "not a directory",
        Some(libc::EISDIR) => "is a directory",
        Some(libc::EIO) => "input/output error",
        Some(libc::ENOMEM) => "out of memory",
        Some(libc::ELOOP) => "too many symbolic links",
        Some(libc::ENAMETOOLONG) => "file name too long",
        Some(libc::EMFILE) => "process cannot open more files",
        Some(libc::ENFILE) => "system cannot open more files",
        Some(libc::EINTR) => "interrupted system call",
        Some(libc::EAGAIN) => "temporary failure",
        Some(libc::ESTALE) => "stale NFS file handle",
        _ => return e.to_string(),
    };
    s.to_string()
}
