//! Starting a program with posix_spawn(3): the C library makes the child with
//! CLONE_VM|CLONE_VFORK (glibc, musl), so the parent's page tables are not copied and the
//! parent takes no copy-on-write faults afterwards, as `fork` + `exec` (what
//! `std::process::Command` does as soon as a descriptor beyond 0–2 must be placed) would
//! cost. qmail's own qmail_open uses vfork for the same reason.
//!
//! The child gets what a `Command` child gets: the given descriptors placed, the working
//! directory changed, an empty signal mask and SIGPIPE at its default (the Rust runtime
//! ignores it in the parent); every other descriptor marked close-on-exec is closed by the
//! exec. An error of the exec itself (no such file, permission) is returned by `spawn`,
//! as from `Command::spawn`.
use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

use nix::unistd::Pid;

use crate::cvt::cvt;

fn cstring(b: &[u8]) -> io::Result<CString> {
    CString::new(b).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

/// posix_spawn's return value (an error number, not -1 and errno) as an `io::Result`.
fn check(r: libc::c_int) -> io::Result<()> {
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(r))
    }
}

/// The file actions object, destroyed when dropped.
struct Actions(libc::posix_spawn_file_actions_t);

impl Actions {
    fn new() -> io::Result<Actions> {
        // SAFETY: an all-zero posix_spawn_file_actions_t is a valid place for init to
        // write to (a plain C struct of integers and pointers).
        let mut a: libc::posix_spawn_file_actions_t = unsafe { std::mem::zeroed() };
        // SAFETY: `a` is a valid, writable object of the right type.
        check(unsafe { libc::posix_spawn_file_actions_init(&mut a) })?;
        Ok(Actions(a))
    }
}

impl Drop for Actions {
    fn drop(&mut self) {
        // SAFETY: self.0 was initialised by posix_spawn_file_actions_init and is
        // destroyed once, here.
        unsafe { libc::posix_spawn_file_actions_destroy(&mut self.0) };
    }
}

/// The attributes object, destroyed when dropped.
struct Attr(libc::posix_spawnattr_t);

impl Attr {
    fn new() -> io::Result<Attr> {
        // SAFETY: an all-zero posix_spawnattr_t is a valid place for init to write to.
        let mut a: libc::posix_spawnattr_t = unsafe { std::mem::zeroed() };
        // SAFETY: `a` is a valid, writable object of the right type.
        check(unsafe { libc::posix_spawnattr_init(&mut a) })?;
        Ok(Attr(a))
    }
}

impl Drop for Attr {
    fn drop(&mut self) {
        // SAFETY: self.0 was initialised by posix_spawnattr_init and is destroyed once.
        unsafe { libc::posix_spawnattr_destroy(&mut self.0) };
    }
}

fn sigset(signals: &[libc::c_int]) -> io::Result<libc::sigset_t> {
    // SAFETY: an all-zero sigset_t is valid storage for sigemptyset to write to.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid, writable sigset_t.
    cvt(unsafe { libc::sigemptyset(&mut set) })?;
    for &s in signals {
        // SAFETY: `set` is an initialised sigset_t; `s` is a signal number (sigaddset
        // fails with EINVAL otherwise).
        cvt(unsafe { libc::sigaddset(&mut set, s) })?;
    }
    Ok(set)
}

/// Start `program` (argv[0] = `program`; without a `/` it is searched in $PATH) in the
/// directory `dir`, with this process's environment plus `vars` (replacing variables of
/// the same name) and, for each `(fd, to)` of `fds`, `fd` as the child's descriptor `to`
/// (without close-on-exec). Returns the child's pid; the caller waits for it.
pub fn spawn(
    program: &Path,
    dir: &Path,
    vars: &[(&OsStr, &OsStr)],
    fds: &[(BorrowedFd<'_>, RawFd)],
) -> io::Result<Pid> {
    let prog = cstring(program.as_os_str().as_bytes())?;
    let cwd = cstring(dir.as_os_str().as_bytes())?;

    // The environment: without `vars`, `environ` itself; with them, this process's
    // entries as they are (pointers into `environ`, no copies) less those `vars`
    // replaces, then `vars`.
    let added: Vec<CString> = vars
        .iter()
        .map(|(k, v)| env_entry(k, v))
        .collect::<io::Result<_>>()?;
    let mut env_list: Vec<*const libc::c_char> = Vec::new();
    if !vars.is_empty() {
        for entry in inherited() {
            let name = entry.to_bytes().split(|&b| b == b'=').next();
            if !vars.iter().any(|(n, _)| Some(n.as_bytes()) == name) {
                env_list.push(entry.as_ptr());
            }
        }
        env_list.extend(added.iter().map(|e| e.as_ptr()));
        env_list.push(std::ptr::null());
    }
    let envp = if vars.is_empty() {
        environ_ptr()
    } else {
        env_list.as_ptr()
    };
    let argv: [*mut libc::c_char; 2] = [prog.as_ptr().cast_mut(), std::ptr::null_mut()];

    // A source descriptor that is also a target could be overwritten before it is
    // copied (the actions run in order), or would keep close-on-exec (dup2 onto
    // itself): those are copied first above every target, closed again on return.
    let top = fds.iter().map(|&(_, to)| to).max().unwrap_or(2);
    let mut moved: Vec<OwnedFd> = Vec::new();
    let mut places: Vec<(RawFd, RawFd)> = Vec::with_capacity(fds.len());
    for (fd, to) in fds {
        let from = fd.as_raw_fd();
        if fds.iter().any(|&(_, t)| t == from) {
            let copy = fd.try_clone_to_owned()?;
            // SAFETY: F_DUPFD_CLOEXEC with an integer minimum makes a new descriptor or
            // fails; `copy` stays open for the call.
            let high = cvt(unsafe {
                libc::fcntl(
                    copy.as_raw_fd(),
                    libc::F_DUPFD_CLOEXEC,
                    top.saturating_add(1),
                )
            })?;
            // SAFETY: `high` was just made by fcntl and is owned by nothing else.
            moved.push(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(high) });
            places.push((high, *to));
        } else {
            places.push((from, *to));
        }
    }

    let mut actions = Actions::new()?;
    for (from, to) in places {
        // SAFETY: `actions` is initialised; `from` is open for the whole call (borrowed
        // from the caller or held in `moved`), `to` is a plain number.
        check(unsafe { libc::posix_spawn_file_actions_adddup2(&mut actions.0, from, to) })?;
    }
    // SAFETY: `actions` is initialised; `cwd` is a NUL-terminated string that outlives
    // the posix_spawn call below (the C library copies or uses it before returning).
    check(unsafe { libc::posix_spawn_file_actions_addchdir_np(&mut actions.0, cwd.as_ptr()) })?;

    let mut attr = Attr::new()?;
    let empty = sigset(&[])?;
    let pipe = sigset(&[libc::SIGPIPE])?;
    // SAFETY: `attr` is initialised; the sets are valid sigset_t values it copies.
    check(unsafe { libc::posix_spawnattr_setsigmask(&mut attr.0, &empty) })?;
    // SAFETY: as above.
    check(unsafe { libc::posix_spawnattr_setsigdefault(&mut attr.0, &pipe) })?;
    let flags = libc::POSIX_SPAWN_SETSIGMASK | libc::POSIX_SPAWN_SETSIGDEF;
    // SAFETY: `attr` is initialised; the flags are the two defined above, which fit.
    check(unsafe {
        libc::posix_spawnattr_setflags(&mut attr.0, libc::c_short::try_from(flags).unwrap_or(0))
    })?;

    let mut pid: libc::pid_t = 0;
    let search = !program.as_os_str().as_bytes().contains(&b'/');
    // SAFETY: `pid` is writable; `prog` is NUL-terminated; `actions` and `attr` are
    // initialised; `argv` and `envp` are NULL-terminated arrays of pointers to
    // NUL-terminated strings (`prog`; `environ`'s or `added`) that all live until the
    // call returns.
    let r = unsafe {
        if search {
            libc::posix_spawnp(
                &mut pid,
                prog.as_ptr(),
                &actions.0,
                &attr.0,
                argv.as_ptr(),
                envp.cast(),
            )
        } else {
            libc::posix_spawn(
                &mut pid,
                prog.as_ptr(),
                &actions.0,
                &attr.0,
                argv.as_ptr(),
                envp.cast(),
            )
        }
    };
    check(r)?;
    drop(moved);
    Ok(Pid::from_raw(pid))
}

extern "C" {
    /// POSIX's list of the environment's `NAME=value` strings, NULL-terminated.
    static environ: *const *const libc::c_char;
}

fn environ_ptr() -> *const *const libc::c_char {
    // SAFETY: reading the pointer value of the C library's `environ` variable.
    unsafe { environ }
}

/// The entries of `environ`. The strings stay valid while nothing changes the
/// environment, which no caller does during a spawn (set_var and remove_var are not
/// used by the programs that spawn, and they are single-threaded).
fn inherited() -> Vec<&'static std::ffi::CStr> {
    let mut list = Vec::new();
    let mut p = environ_ptr();
    if p.is_null() {
        return list;
    }
    loop {
        // SAFETY: `p` points into the NULL-terminated array `environ` (it starts at the
        // first element and advances only past non-NULL ones).
        let e = unsafe { *p };
        if e.is_null() {
            return list;
        }
        // SAFETY: every non-NULL element of `environ` is a NUL-terminated string.
        list.push(unsafe { std::ffi::CStr::from_ptr(e) });
        // SAFETY: `e` was not the terminating NULL, so the next element is in the array.
        p = unsafe { p.add(1) };
    }
}

fn env_entry(k: &OsStr, v: &OsStr) -> io::Result<CString> {
    let mut e = OsString::with_capacity(k.len().saturating_add(v.len()).saturating_add(1));
    e.push(k);
    e.push("=");
    e.push(v);
    cstring(&e.into_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::wait::{waitpid, WaitStatus};
    use std::io::Read;
    use std::os::fd::AsFd;

    fn pipe() -> (std::fs::File, OwnedFd) {
        let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
        (std::fs::File::from(r), w)
    }

    fn exit_code(pid: Pid) -> i32 {
        match waitpid(pid, None).unwrap() {
            WaitStatus::Exited(_, c) => c,
            s => panic!("child ended with {s:?}"),
        }
    }

    /// A script in a fresh directory; spawn passes no arguments, so no `sh -c`.
    fn script(name: &str, body: &str) -> std::path::PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let dir =
            std::env::temp_dir().join(format!("qmail-sys-spawn-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("prog");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[test]
    fn places_fds_dir_env_and_signals() {
        let path = script(
            "fds",
            "read line; echo \"$line $(pwd) $QSPAWN_TEST $(grep -E '^Sig(Blk|Ign)' /proc/self/status | tr -d '\\t\\n')\" >&6; exit 3",
        );
        let (mut out, w) = pipe();
        let (r_in, w_in) = pipe();
        std::fs::write(format!("/proc/self/fd/{}", w_in.as_raw_fd()), "hello\n").unwrap();
        drop(w_in);
        let pid = spawn(
            &path,
            Path::new("/"),
            &[(OsStr::new("QSPAWN_TEST"), OsStr::new("yes"))],
            &[(r_in.as_fd(), 0), (w.as_fd(), 6)],
        )
        .unwrap();
        drop((w, r_in));
        let mut got = String::new();
        out.read_to_string(&mut got).unwrap();
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
        let (head, sigs) = got.split_once(" SigBlk:").unwrap();
        assert_eq!(head, "hello / yes");
        // Nothing blocked; SIGPIPE (13, the mask's bit 12) not ignored.
        let (blocked, ignored) = sigs.trim_end().split_once("SigIgn:").unwrap();
        assert_eq!(u64::from_str_radix(blocked, 16).unwrap(), 0);
        assert_eq!(u64::from_str_radix(ignored, 16).unwrap() & (1 << 12), 0);
        assert_eq!(exit_code(pid), 3);
    }

    #[test]
    fn a_source_that_is_also_a_target() {
        // Two descriptors trade places: each must arrive as it was before the other moved.
        let path = script("swap", "echo one >&$A; echo two >&$B");
        let (mut r1, w1) = pipe();
        let (mut r2, w2) = pipe();
        let (a, b) = (w1.as_raw_fd(), w2.as_raw_fd());
        assert!(
            a < 10 && b < 10,
            "sh redirects single-digit descriptors only"
        );
        let (sa, sb) = (a.to_string(), b.to_string());
        let vars = [
            (OsStr::new("A"), OsStr::new(&sa)),
            (OsStr::new("B"), OsStr::new(&sb)),
        ];
        let pid = spawn(
            &path,
            Path::new("/"),
            &vars,
            &[(w1.as_fd(), b), (w2.as_fd(), a)],
        );
        let pid = pid.unwrap();
        drop((w1, w2));
        assert_eq!(exit_code(pid), 0);
        let (mut s1, mut s2) = (String::new(), String::new());
        r1.read_to_string(&mut s1).unwrap();
        r2.read_to_string(&mut s2).unwrap();
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
        // fd a in the child is the second pipe, fd b the first.
        assert_eq!((s1.as_str(), s2.as_str()), ("two\n", "one\n"));
    }

    #[test]
    fn without_vars_the_environment_is_this_one() {
        let path = script("env", "echo \"$PATH\"");
        let (mut r, w) = pipe();
        let pid = spawn(&path, Path::new("/"), &[], &[(w.as_fd(), 1)]).unwrap();
        drop(w);
        let mut got = String::new();
        r.read_to_string(&mut got).unwrap();
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
        assert_eq!(exit_code(pid), 0);
        let want = std::env::var("PATH").unwrap();
        assert_eq!(got, format!("{want}\n"));
    }

    #[test]
    fn exec_error_is_returned() {
        let r = spawn(
            Path::new("/nonexistent/qmail-queue"),
            Path::new("/"),
            &[],
            &[],
        );
        assert_eq!(r.err().and_then(|e| e.raw_os_error()), Some(libc::ENOENT));
    }
}
