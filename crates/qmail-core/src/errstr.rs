//! The short error texts qmail prints after a colon (`unable to open x: access denied`),
//! one table for every program, falling back to the C library's description.
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
        libc::EDQUOT => "disk quota exceeded",
        libc::EROFS => "read-only file system",
        libc::ENOTDIR => "not a directory",
        libc::EISDIR => "is a directory",
        libc::ELOOP => "symbolic link loop",
        libc::ENAMETOOLONG => "file name too long",
        libc::ETXTBSY => "text busy",
        libc::EAGAIN => "temporary failure",
        libc::ESTALE => "stale NFS file handle",
        libc::EFBIG => "file too big",
        libc::EBADF => "file descriptor not open",
        libc::ESPIPE => "unseekable descriptor",
        libc::EMFILE => "process cannot open more files",
        libc::ENFILE => "system cannot open more files",
        libc::ENOEXEC => "exec format error",
        libc::ENOLCK => "no locks available",
        libc::EPIPE => "broken pipe",
        libc::ECONNREFUSED => "connection refused",
        libc::ECONNRESET => "connection reset",
        libc::ETIMEDOUT => "timed out",
        libc::EHOSTUNREACH => "host unreachable",
        libc::ENETUNREACH => "network unreachable",
        libc::EADDRINUSE => "address already used",
        _ => return nix::errno::Errno::from_raw(n).desc().to_string(),
    };
    s.to_string()
}

/// Is this I/O error temporary in qmail's sense? Unknown (no errno) counts as temporary.
pub fn is_temp(e: &io::Error) -> bool {
    e.raw_os_error().map_or(true, crate::exit::errno_is_temp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qmail_words() {
        let f = |n| errstr(&io::Error::from_raw_os_error(n));
        assert_eq!(f(libc::ENOENT), "file does not exist");
        assert_eq!(f(libc::EACCES), "access denied");
        assert_eq!(f(libc::ECONNREFUSED), "connection refused");
        assert!(!f(libc::EXDEV).is_empty());
        assert!(is_temp(&io::Error::from_raw_os_error(libc::ENOSPC)));
        assert!(!is_temp(&io::Error::from_raw_os_error(libc::EACCES)));
    }
}
