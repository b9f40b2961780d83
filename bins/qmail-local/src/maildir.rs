//! Maildir delivery (maildir(5)): write a file in `tmp/` with Return-Path and Delivered-To
//! in front of the message, fsync it, link it into `new/`, remove the tmp name. A reader
//! only ever sees complete files in `new/`.
//!
//! A delivery from the queue (fd 0 is qmail-send's mess file) has a name that is the same
//! every time qmail-send makes this delivery, and no other's: `<queued>.Q<inode>_<nsec>_
//! <line hash>_<content hash>.<host>`, from the mess file's inode and modification time,
//! a hash of the Delivered-To line and the .qmail line number, and a hash of the bytes
//! written. The tmp/ name is the name's first part and the pid, so tmp/ files of the same
//! delivery whose process is gone (an attempt killed in a crash) are found and removed.
//! When new/ already holds the name, this is the same delivery again: an envelope that
//! names the recipient twice, or qmail-send repeating a delivery after a crash. qmail
//! delivers both times, and so does this, under the name with `,R<pid>` added (qmail-send
//! logs the deliveries that may be repeats).
//! Any other message on fd 0 gets the classic `<time>.<pid>.<host>`.
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nix::sys::signal::Signal;
use qmail_core::exit::LocalExit;
use qmail_sys::sig;

use crate::die::{self, is_temp, Fatal};

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

/// Write the file; the FNV-1a hash of everything written.
fn write_all(mut f: File, msg: &File, rpline: &[u8], dtline: &[u8]) -> Result<u64, Fail> {
    let mut h = Fnv::default();
    let mut w = BufWriter::with_capacity(64 * 1024, &mut f);
    w.write_all(rpline).map_err(|_| Fail::Temp)?;
    w.write_all(dtline).map_err(|_| Fail::Temp)?;
    h.feed(rpline);
    h.feed(dtline);
    let mut buf = vec![0u8; 64 * 1024];
    let mut r = msg;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(Fail::Read),
        };
        let chunk = buf.get(..n).unwrap_or(&[]);
        w.write_all(chunk).map_err(|_| Fail::Temp)?;
        h.feed(chunk);
    }
    w.flush().map_err(|_| Fail::Temp)?;
    drop(w);
    f.sync_all().map_err(|_| Fail::Temp)?;
    // close(2) errors matter on NFS; File's drop would hide them.
    nix::unistd::close(std::os::fd::IntoRawFd::into_raw_fd(f)).map_err(|_| Fail::Temp)?;
    Ok(h.0)
}

/// The first part of the name of a delivery from the queue: `<queued>.Q<inode>_<nsec>_
/// <line hash>`, or None when fd 0 is not a file.
pub fn delivery_name(msg: &File, dtline: &[u8], line: usize) -> Option<Vec<u8>> {
    let m = msg.metadata().ok()?;
    if !m.is_file() {
        return None;
    }
    let mut h = Fnv::default();
    h.feed(dtline);
    h.feed(&line.to_le_bytes());
    Some(format!("{}.Q{}_{}_{:016x}", m.mtime(), m.ino(), m.mtime_nsec(), h.0).into_bytes())
}

/// FNV-1a, 64 bits: a spread of the Delivered-To line, not a secret.
struct Fnv(u64);
impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}
impl Fnv {
    fn feed(&mut self, b: &[u8]) {
        for &c in b {
            self.0 = (self.0 ^ u64::from(c)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Is `pid` a live process? One of another user's counts as alive; a zombie (killed,
/// not yet reaped) does not.
fn alive(pid: i32) -> bool {
    if matches!(
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None),
        Err(nix::errno::Errno::ESRCH)
    ) {
        return false;
    }
    // /proc/<pid>/stat: "pid (comm) S ...", the state after the last ')'
    let stat = std::fs::read(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat
        .iter()
        .rposition(|&b| b == b')')
        .and_then(|i| stat.get(i.saturating_add(2)));
    !matches!(state, Some(b'Z' | b'X'))
}

/// Remove what earlier attempts of this delivery left in tmp/ (`<name>,P<pid>` of a
/// process that is gone), and every tmp/ file untouched for 36 hours.
fn sweep_tmp(dir: &Path, name: &[u8]) {
    let Ok(list) = std::fs::read_dir(dir.join("tmp")) else {
        return;
    };
    let now = i64::try_from(now_secs()).unwrap_or(i64::MAX);
    for e in list.flatten() {
        let file = e.file_name();
        let stale_pid = file
            .as_bytes()
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix(b",P"))
            .and_then(|p| std::str::from_utf8(p).ok()?.parse::<i32>().ok())
            .is_some_and(|pid| pid != std::process::id() as i32 && !alive(pid));
        let old = e
            .metadata()
            .is_ok_and(|m| now > m.atime().saturating_add(qmail_core::maildir::TMP_MAX_AGE));
        if stale_pid || old {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// What a Maildir delivery did.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivered {
    Now,
}

fn deliver_in(
    dir: &Path,
    msg: &File,
    rpline: &[u8],
    dtline: &[u8],
    line: usize,
) -> Result<Delivered, Fail> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(Fail::Chdir),
        Err(e) if is_temp(&e) => return Err(Fail::Temp),
        Err(_) => return Err(Fail::Chdir),
    }
    let host = hostname();
    let Some(key) = delivery_name(msg, dtline, line) else {
        let (f, tmp, new) = create_tmp(dir, &host)?;
        let result = write_all(f, msg, rpline, dtline)
            .and_then(|_| std::fs::hard_link(&tmp, &new).map_err(|_| Fail::Temp));
        let _ = std::fs::remove_file(&tmp);
        return result.map(|()| Delivered::Now);
    };
    let tmp_key = [&key[..], b".", &host].concat();
    sweep_tmp(dir, &tmp_key);
    let tmp_name = [&tmp_key[..], format!(",P{}", std::process::id()).as_bytes()].concat();
    let tmp = dir.join("tmp").join(OsStr::from_bytes(&tmp_name));
    let f = File::options()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(&tmp)
        .map_err(|_| Fail::Temp)?;
    let result = write_all(f, msg, rpline, dtline).and_then(|sum| {
        // the content's hash too: an inode reused within one tick of the clock makes
        // another message, never the same bytes
        let name = [&key[..], format!("_{sum:016x}.").as_bytes(), &host].concat();
        let new = dir.join("new").join(OsStr::from_bytes(&name));
        match std::fs::hard_link(&tmp, &new) {
            Ok(()) => Ok(Delivered::Now),
            // the same delivery again (see the module comment): a copy of its own
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let again = [&name[..], format!(",R{}", std::process::id()).as_bytes()].concat();
                std::fs::hard_link(&tmp, dir.join("new").join(OsStr::from_bytes(&again)))
                    .map(|()| Delivered::Now)
                    .map_err(|_| Fail::Temp)
            }
            Err(_) => Err(Fail::Temp),
        }
    });
    let _ = std::fs::remove_file(&tmp);
    // again: an attempt that was dying a moment ago is surely gone now
    sweep_tmp(dir, &tmp_key);
    result
}

/// Run `f` with a limit of `secs` seconds: when SIGALRM comes, qmail-local says
/// TIMEOUT_TEXT and exits 111 at once, leaving the tmp file (as notqmail's child does) for
/// the next attempt of this delivery or the 36-hour sweep to remove. A blocked write or
/// fsync on a file system that lets signals through is interrupted; one that does not is
/// ended when it returns.
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

/// Deliver to the Maildir `path`, the `line`th line of the .qmail file.
pub fn deliver(
    msg: &File,
    path: &[u8],
    rpline: &[u8],
    dtline: &[u8],
    line: usize,
) -> Result<Delivered, Fatal> {
    within(TIMEOUT_SECS, || {
        deliver_in(
            Path::new(OsStr::from_bytes(path)),
            msg,
            rpline,
            dtline,
            line,
        )
    })
    .map_err(|f| match f {
        Fail::Chdir => die::maildir_chdir(),
        Fail::Read => die::maildir_read(),
        Fail::Temp => die::maildir_temp(),
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
