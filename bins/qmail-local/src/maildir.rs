//! Maildir delivery (maildir(5)): write `tmp/<time>.<pid>.<host>` with Return-Path and
//! Delivered-To in front of the message, fsync it, link it into `new/`, remove the tmp
//! name. A reader only ever sees complete files in `new/`.
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nix::sys::signal::Signal;
use qmail_core::exit::LocalExit;
use qmail_sys::sig;

use crate::die::{is_temp, Die};

/// The longest a Maildir delivery may take (notqmail's 24 hours): a file system that
/// hangs must not hold the delivery slot for ever.
pub const TIMEOUT_SECS: u32 = 86_400;

/// What qmail-local says when the time is up (a temporary failure).
pub const TIMEOUT_TEXT: &[u8] = b"Timeout on maildir delivery. (#4.3.0)\n";

/// Attempts at a fresh unique name when the previous one already existed.
const NAME_TRIES: u32 = 3;
const NAME_RETRY_WAIT: Duration = Duration::from_secs(2);

/// The second of this process's last Maildir delivery. qmail forks a child (a fresh pid)
/// per delivery; delivering in-process instead, a second Maildir line in the same second
/// would repeat `time.pid.host`, so it waits for the next second.
static LAST_SECOND: AtomicU64 = AtomicU64::new(0);

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A second in which this process has not delivered to a Maildir yet.
fn fresh_second() -> u64 {
    loop {
        let now = now_secs();
        if now != LAST_SECOND.load(Ordering::Relaxed) {
            return now;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The unique part of a Maildir file name: `time.pid.host`.
pub fn unique_name(time: u64, pid: u32, host: &[u8]) -> Vec<u8> {
    let mut v = format!("{time}.{pid}.").into_bytes();
    v.extend_from_slice(host);
    v
}

fn hostname() -> Vec<u8> {
    let mut h = nix::unistd::gethostname()
        .map(|h| h.as_bytes().to_vec())
        .unwrap_or_default();
    h.truncate(64);
    h
}

enum Fail {
    /// The directory cannot be entered for a reason retrying will not fix.
    Chdir,
    Read,
    Temp,
}

/// Create the tmp file under a fresh name (nothing is stat()ed first: O_EXCL decides).
fn create_tmp(dir: &Path, host: &[u8]) -> Result<(File, PathBuf, PathBuf), Fail> {
    let mut tries = 0;
    loop {
        let now = fresh_second();
        let name = unique_name(now, std::process::id(), host);
        let name = OsStr::from_bytes(&name);
        let tmp = dir.join("tmp").join(name);
        match File::options()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&tmp)
        {
            Ok(f) => {
                LAST_SECOND.store(now, Ordering::Relaxed);
                return Ok((f, tmp, dir.join("new").join(name)));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                tries += 1;
                if tries >= NAME_TRIES {
                    return Err(Fail::Temp);
                }
                std::thread::sleep(NAME_RETRY_WAIT);
            }
            Err(_) => return Err(Fail::Temp),
        }
    }
}

fn write_all(mut f: File, msg: &File, rpline: &[u8], dtline: &[u8]) -> Result<(), Fail> {
    let mut w = BufWriter::with_capacity(64 * 1024, &mut f);
    w.write_all(rpline).map_err(|_| Fail::Temp)?;
    w.write_all(dtline).map_err(|_| Fail::Temp)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut r = msg;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(Fail::Read),
        };
        w.write_all(buf.get(..n).unwrap_or(&[]))
            .map_err(|_| Fail::Temp)?;
    }
    w.flush().map_err(|_| Fail::Temp)?;
    drop(w);
    f.sync_all().map_err(|_| Fail::Temp)?;
    // close(2) errors matter on NFS; File's drop would hide them.
    nix::unistd::close(std::os::fd::IntoRawFd::into_raw_fd(f)).map_err(|_| Fail::Temp)
}

fn deliver_in(dir: &Path, msg: &File, rpline: &[u8], dtline: &[u8]) -> Result<(), Fail> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(Fail::Chdir),
        Err(e) if is_temp(&e) => return Err(Fail::Temp),
        Err(_) => return Err(Fail::Chdir),
    }
    let (f, tmp, new) = create_tmp(dir, &hostname())?;
    let result = write_all(f, msg, rpline, dtline)
        .and_then(|()| std::fs::hard_link(&tmp, &new).map_err(|_| Fail::Temp));
    let _ = std::fs::remove_file(&tmp);
    result
}

/// Run `f` with a limit of `secs` seconds: when SIGALRM comes, qmail-local says
/// TIMEOUT_TEXT and exits 111 at once, leaving the tmp file for the Maildir's readers to
/// clean up (as notqmail's child does). A blocked write or fsync on a file system that
/// lets signals through is interrupted; one that does not is ended when it returns.
pub fn within<T>(secs: u32, f: impl FnOnce() -> T) -> T {
    let armed = sig::catch_exit_saying(Signal::SIGALRM, LocalExit::Temp.code(), TIMEOUT_TEXT);
    if armed.is_ok() {
        sig::alarm(secs);
    }
    let r = f();
    sig::alarm(0);
    let _ = sig::default(Signal::SIGALRM);
    r
}

pub fn deliver(msg: &File, path: &[u8], rpline: &[u8], dtline: &[u8]) -> Result<(), Die> {
    within(TIMEOUT_SECS, || {
        deliver_in(Path::new(OsStr::from_bytes(path)), msg, rpline, dtline)
    })
    .map_err(|f| match f {
        Fail::Chdir => Die::maildir_chdir(),
        Fail::Read => Die::maildir_read(),
        Fail::Temp => Die::maildir_temp(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mechanism with a 1-second limit, in a child (it exits): the test binary runs
    /// itself with QMAIL_LOCAL_TIMEOUT_CHILD set, and the child blocks reading a pipe
    /// nobody writes, as a write to a hung file system would block.
    #[test]
    fn timeout_child() {
        let Some(mode) = std::env::var_os("QMAIL_LOCAL_TIMEOUT_CHILD") else {
            return;
        };
        if mode == "hang" {
            let (r, _w) = nix::unistd::pipe().unwrap();
            within(1, || {
                let mut b = [0u8; 1];
                let _ = nix::unistd::read(std::os::fd::AsRawFd::as_raw_fd(&r), &mut b);
            });
        } else {
            assert_eq!(within(1, || 7), 7);
            // past the limit: the alarm was cancelled, so the process lives on
            std::thread::sleep(Duration::from_millis(1500));
        }
        std::process::exit(0);
    }

    /// Run `timeout_child` in a child process in `mode`: (exit code, stderr). A child
    /// still running after 20 seconds is killed and the test fails (never hangs).
    fn child(mode: &str) -> (Option<i32>, Vec<u8>) {
        let mut c = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "maildir::tests::timeout_child", "--nocapture"])
            .env("QMAIL_LOCAL_TIMEOUT_CHILD", mode)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(st) = c.try_wait().unwrap() {
                break st;
            }
            if start.elapsed() > Duration::from_secs(20) {
                let _ = c.kill();
                let _ = c.wait();
                panic!("the delivery was never cut off");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut err = Vec::new();
        c.stderr.take().unwrap().read_to_end(&mut err).unwrap();
        (status.code(), err)
    }

    #[test]
    fn a_hung_delivery_times_out_with_notqmails_text() {
        let (code, err) = child("hang");
        assert_eq!(code, Some(111));
        assert!(
            err.ends_with(TIMEOUT_TEXT),
            "{}",
            String::from_utf8_lossy(&err)
        );
        assert_eq!(TIMEOUT_SECS, 24 * 60 * 60);
    }

    #[test]
    fn the_limit_is_lifted_after_the_delivery() {
        assert_eq!(child("quick").0, Some(0));
    }

    #[test]
    fn name_shape() {
        assert_eq!(
            unique_name(1_700_000_000, 4242, b"mx.example"),
            b"1700000000.4242.mx.example"
        );
    }
}
