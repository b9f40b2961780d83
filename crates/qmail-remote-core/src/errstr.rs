//! The short error texts qmail prints after a colon (its `error_str` vocabulary), with
//! the C library's description for the rest.
use std::io;

pub fn errstr(e: &io::Error) -> String {
    let Some(n) = e.raw_os_error() else {
        return e.to_string();
    };
    let s = match n {
        libc::EINTR => "interrupted system call",
        libc::ENOMEM => "out of memory",
        libc::ENOENT => "file does not exist",
        libc::EEXIST => "file already exists",
        libc::EACCES => "access denied",
        libc::EPERM => "permission denied",
        libc::EIO => "input/output error",
        libc::ENOSPC => "out of disk space",
        libc::EROFS => "read-only file system",
        libc::ENOTDIR => "not a directory",
        libc::EISDIR => "is a directory",
        libc::ELOOP => "symbolic link loop",
        libc::ENAMETOOLONG => "file name too long",
        libc::EAGAIN => "temporary failure",
        libc::EBADF => "file descriptor not open",
        libc::EMFILE => "process cannot open more files",
        libc::ENFILE => "system cannot open more files",
        libc::ENOLCK => "no locks available",
        libc::ETIMEDOUT => "timed out",
        libc::ECONNREFUSED => "connection refused",
        _ => return nix::errno::Errno::from_raw(n).desc().to_string(),
    };
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        let e = |n| errstr(&io::Error::from_raw_os_error(n));
        assert_eq!(e(libc::ENOENT), "file does not exist");
        assert_eq!(e(libc::EACCES), "access denied");
        assert!(!e(libc::EXDEV).is_empty());
    }
}
