//! File descriptors whose numbers are fixed by a protocol (qmail-queue's fd 0 and 1, the
//! spawn pipes of qmail-send).
//!
//! Nothing here claims or overwrites a descriptor that something else in the process may
//! own: [`take`] returns a new descriptor (a duplicate), never an owner of the number it
//! was given, and [`exec_with`] places descriptors on fixed numbers only on the way to
//! `execve`, after which no destructor of this process runs. So no input makes two
//! owners of one descriptor (a double close).
use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use crate::cvt::cvt;

/// Descriptor 0, borrowed for the whole run: what `std::io::stdin()` hands out, without
/// the 8 KiB buffer std allocates with it, for a program that reads the descriptor itself
/// (qmail-smtpd, whose client is on fds 0 and 1).
pub fn stdin() -> BorrowedFd<'static> {
    // SAFETY: see `stdio_fd`.
    unsafe { stdio_fd(0) }
}

/// Descriptor 1, borrowed for the whole run, without std's `stdout()` line buffer.
pub fn stdout() -> BorrowedFd<'static> {
    // SAFETY: see `stdio_fd`.
    unsafe { stdio_fd(1) }
}

/// # Safety
/// `fd` must be 0, 1 or 2. Those are open for the whole run: the Rust runtime opens
/// /dev/null on any of them that is closed at start, no object owns them, and nothing in
/// qmail-rs closes them (`exec_with` replaces them only on the way to execve). std's
/// Stdin and Stdout borrow them the same way.
unsafe fn stdio_fd(fd: RawFd) -> BorrowedFd<'static> {
    // SAFETY: the caller passes 0, 1 or 2, open for the whole run (above).
    unsafe { BorrowedFd::borrow_raw(fd) }
}

/// Open `path` read-only, close-on-exec, with `flags` added (O_NONBLOCK, say). Through
/// openat(AT_FDCWD, …) rather than open: musl's open follows every O_CLOEXEC open with an
/// fcntl(F_SETFD) (for kernels before 2.6.23), one system call more per file, where
/// openat passes the flag to the kernel alone. Same result with glibc.
pub fn open_read(path: &std::path::Path, flags: libc::c_int) -> io::Result<std::fs::File> {
    use std::os::unix::ffi::OsStrExt;
    let invalid = || io::Error::from(io::ErrorKind::InvalidInput);
    let bytes = path.as_os_str().as_bytes();
    // A short path is made a C string on the stack (as std does), a long one on the heap.
    let mut stack = [0u8; 256];
    let heap: CString;
    let c: &CStr = match stack.get_mut(..bytes.len()) {
        Some(room) if bytes.len() < 256 => {
            room.copy_from_slice(bytes);
            let with_nul = stack.get(..=bytes.len()).ok_or_else(invalid)?;
            CStr::from_bytes_with_nul(with_nul).map_err(|_| invalid())?
        }
        _ => {
            heap = CString::new(bytes).map_err(|_| invalid())?;
            &heap
        }
    };
    // Never O_CREAT (a reader creates nothing, and it would need a mode argument).
    let how = (libc::O_RDONLY | libc::O_CLOEXEC | flags) & !libc::O_CREAT;
    let fd = loop {
        // SAFETY: `c` is a NUL-terminated path that outlives the call; openat with
        // AT_FDCWD and integer flags makes a new descriptor or fails. No mode argument:
        // O_CREAT was taken out of the flags, and without it the mode is not read.
        match cvt(unsafe { libc::openat(libc::AT_FDCWD, c.as_ptr(), how) }) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => break r?,
        }
    };
    // SAFETY: `fd` was just made by openat and is owned by nothing else.
    Ok(unsafe { std::fs::File::from_raw_fd(fd) })
}

/// Is `fd` an open descriptor of this process?
pub fn is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD takes no third argument and only reads the descriptor table.
    let r = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    r != -1
}

/// A close-on-exec duplicate of `fd` at a number of at least `min`.
fn dup_at_least(fd: RawFd, min: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: F_DUPFD_CLOEXEC with an integer argument makes a new descriptor or fails
    // (EBADF when `fd` is not open); it does not touch `fd` itself.
    let new = cvt(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, min) })?;
    // SAFETY: `new` was made just now by fcntl; nothing else in the process has it.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// Our own descriptor for the inherited protocol descriptor `fd`: a close-on-exec
/// duplicate. Fails with EBADF when `fd` is not open, so a caller that closed fd 1 cannot
/// make us write into a file opened later. `fd` itself is marked close-on-exec (no child
/// inherits it) and stays open until exit: it has no owner, so nothing closes it twice,
/// however often it is taken.
pub fn take(fd: RawFd) -> io::Result<OwnedFd> {
    if fd < 0 {
        return Err(io::Error::from_raw_os_error(libc::EBADF));
    }
    let ours = dup_at_least(fd, 0)?;
    // SAFETY: F_SETFD with an integer flag only sets the flags of an open descriptor
    // (checked by the dup above); close-on-exec is already set on every descriptor that
    // Rust code owns, so no owner sees a change.
    cvt(unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) })?;
    Ok(ours)
}

/// Become `path` with `argv`, each `(from, to)` of `moves` giving the new program `from`
/// as descriptor `to` (not close-on-exec). On failure the process exits with `fail`: it
/// never returns, because the descriptors at the `to` numbers have been replaced and an
/// object that owned one must not close it later. For a single-threaded process (another
/// thread could use a descriptor while it is being replaced), which is what qmail-start is.
pub fn exec_with(path: &CStr, argv: &[CString], moves: &[(BorrowedFd<'_>, RawFd)], fail: i32) -> ! {
    let _ = place(moves);
    let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    // SAFETY: path and each argv entry are NUL-terminated C strings that outlive the call,
    // and ptrs ends with a null pointer, as execv requires; it returns only on failure.
    unsafe { libc::execv(path.as_ptr(), ptrs.as_ptr()) };
    std::process::exit(fail)
}

/// Put each `from` on its `to`: first copies above every `to` (so placing one cannot
/// overwrite a `from` still to be placed), then dup2 onto the targets.
fn place(moves: &[(BorrowedFd<'_>, RawFd)]) -> io::Result<()> {
    let top = moves
        .iter()
        .map(|&(_, to)| to)
        .max()
        .unwrap_or(0)
        .saturating_add(1);
    let mut copies = Vec::with_capacity(moves.len());
    for &(from, to) in moves {
        copies.push((dup_at_least(from.as_raw_fd(), top)?, to));
    }
    for (copy, to) in &copies {
        // SAFETY: `copy` is open (owned above); dup2 replaces `to`, which may belong to
        // an object of this process: exec_with, the only caller, never returns, so that
        // object is never used or dropped again. The copies close on exec.
        cvt(unsafe { libc::dup2(copy.as_raw_fd(), *to) })?;
    }
    Ok(())
}

/// Start writing a file's dirty pages to the disk without waiting (sync_file_range(2) with
/// SYNC_FILE_RANGE_WRITE over the whole file). Only a head start: nothing is durable until
/// fsync, which then finds the data on its way. Writing back several files this way
/// before their fsyncs lets the first fsync's journal commit carry their block
/// allocations too, so the later fsyncs have little left to wait for.
pub fn start_writeback(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: `fd` is a descriptor borrowed for this call; offset 0 and length 0 (to the
    // end) and a valid flag are accepted for every file; no memory is passed.
    let r = unsafe { libc::sync_file_range(fd.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE) };
    cvt(r).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn open_read_opens_for_reading_only_and_close_on_exec() {
        let dir = std::env::temp_dir().join(format!("qmail-sys-open-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f");
        std::fs::write(&path, "line\n").unwrap();
        let mut f = open_read(&path, libc::O_NONBLOCK).unwrap();
        let mut s = String::new();
        f.read_to_string(&mut s).unwrap();
        assert_eq!(s, "line\n");
        // SAFETY: F_GETFD/F_GETFL on a descriptor `f` owns.
        let (fdflags, flflags) = unsafe {
            (
                libc::fcntl(f.as_raw_fd(), libc::F_GETFD),
                libc::fcntl(f.as_raw_fd(), libc::F_GETFL),
            )
        };
        assert_eq!(fdflags & libc::FD_CLOEXEC, libc::FD_CLOEXEC);
        assert_eq!(flflags & libc::O_ACCMODE, libc::O_RDONLY);
        assert_eq!(flflags & libc::O_NONBLOCK, libc::O_NONBLOCK);
        use std::io::Write;
        assert!(f.write_all(b"x").is_err(), "read-only");
        // A missing file is NotFound, and O_CREAT creates nothing.
        let missing = dir.join("missing");
        let e = open_read(&missing, libc::O_CREAT).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(!missing.exists());
        // A path too long for the stack buffer (through the heap), and a NUL inside.
        let deep = dir.join("./".repeat(200)).join("f");
        assert!(deep.as_os_str().len() > 256);
        let mut s = String::new();
        open_read(&deep, 0).unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s, "line\n");
        let e = open_read(std::path::Path::new("a\0b"), 0).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
