//! qmail-start: run as root, once. It wires qmail-send to qmail-lspawn,
//! qmail-rspawn and qmail-clean with six pipes, starts each under its own user, optionally
//! starts a logger as qmaill, and finally becomes qmail-send (uid qmails) with the fixed
//! descriptor layout 0 = log, 1/2 lspawn, 3/4 rspawn, 5/6 qmail-clean. Any failure exits 111
//! without a word.
//!
//! The programs are run by absolute path under the qmail home fixed at build time
//! (`/var/qmail/bin/qmail-send`, …), not looked up in `$PATH` as qmail does: a root
//! program must not let its environment choose what runs as root. Only the logger,
//! named on the command line, is looked up in `$PATH`.
#![forbid(unsafe_code)]

use std::ffi::{CString, OsString};
use std::io;
use std::os::fd::{AsFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use nix::fcntl::OFlag;
use qmail_core::{auto, ids};
use qmail_sys::fd;

/// The descriptors qmail-send expects.
pub const SEND_LOG: RawFd = 0;
pub const TO_LSPAWN: RawFd = 1;
pub const FROM_LSPAWN: RawFd = 2;
pub const TO_RSPAWN: RawFd = 3;
pub const FROM_RSPAWN: RawFd = 4;
pub const TO_CLEAN: RawFd = 5;
pub const FROM_CLEAN: RawFd = 6;

fn err<E>(_: E) -> io::Error {
    io::Error::from(nix::errno::Errno::EIO)
}

fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(io::Error::from)
}

/// A program of the qmail home: `/var/qmail/bin/<name>`.
fn bin(name: &str) -> PathBuf {
    [auto::QMAIL, "bin", name].iter().collect()
}

/// Start a daemon child with `fd0`/`fd1` as its stdin/stdout and no stderr. A child that
/// cannot be started is not fatal here: qmail-send finds its pipe closed and says so.
fn daemon(mut cmd: Command, fd0: OwnedFd, fd1: OwnedFd) {
    let _ = cmd
        .stdin(Stdio::from(fd0))
        .stdout(Stdio::from(fd1))
        .stderr(Stdio::null())
        .spawn();
}

pub fn run(args: &[OsString]) -> io::Result<()> {
    std::env::set_current_dir("/")?;
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    let gid_qmail = ids::gid_qmail().map_err(err)?;
    let gid_nofiles = ids::gid_nofiles().map_err(err)?;
    let uid_log = ids::qmaill().map_err(err)?;
    let uid_remote = ids::qmailr().map_err(err)?;
    let uid_queue = ids::qmailq().map_err(err)?;
    let uid_send = ids::qmails().map_err(err)?;
    nix::unistd::setgroups(&[gid_qmail]).map_err(io::Error::from)?;
    nix::unistd::setgid(gid_qmail).map_err(io::Error::from)?;
    let mut rest = args.iter().skip(1);
    let defaultdelivery = rest
        .next()
        .cloned()
        .unwrap_or_else(|| OsString::from("./Mailbox"));
    let logger: Vec<OsString> = rest.cloned().collect();

    // The log: the logger's pipe, or qmail-start's own stdout.
    let log: OwnedFd = match logger.split_first() {
        Some((prog, largs)) => {
            let (r, w) = pipe()?;
            let mut c = Command::new(prog);
            c.args(largs).stdin(Stdio::from(r)).stderr(Stdio::null());
            c.gid(gid_nofiles.as_raw()).uid(uid_log.as_raw());
            let _ = c.spawn();
            w
        }
        None => fd::take(1)?,
    };

    let (l_cmd_r, l_cmd_w) = pipe()?;
    let (l_rep_r, l_rep_w) = pipe()?;
    let (r_cmd_r, r_cmd_w) = pipe()?;
    let (r_rep_r, r_rep_w) = pipe()?;
    let (c_cmd_r, c_cmd_w) = pipe()?;
    let (c_rep_r, c_rep_w) = pipe()?;

    let mut lspawn = Command::new(bin("qmail-lspawn"));
    lspawn.arg(&defaultdelivery);
    daemon(lspawn, l_cmd_r, l_rep_w);

    // qmail-rspawn keeps qmailr's supplementary groups (notqmail's initgroups), so a site
    // can give qmail-remote access to, say, a TLS key group.
    let mut rspawn = Command::new(bin("qmail-rspawn"));
    let groups = remote_groups(gid_qmail).map_err(err)?;
    qmail_sys::prot::on_spawn(&mut rspawn, uid_remote, gid_qmail, &groups);
    daemon(rspawn, r_cmd_r, r_rep_w);

    let mut clean = Command::new(bin("qmail-clean"));
    clean.gid(gid_qmail.as_raw()).uid(uid_queue.as_raw());
    daemon(clean, c_cmd_r, c_rep_w);

    nix::unistd::setuid(uid_send).map_err(io::Error::from)?;
    let path = CString::new(bin("qmail-send").as_os_str().as_bytes()).map_err(err)?;
    let argv = [CString::new("qmail-send").map_err(err)?];
    let moves = [
        (log.as_fd(), SEND_LOG),
        (l_cmd_w.as_fd(), TO_LSPAWN),
        (l_rep_r.as_fd(), FROM_LSPAWN),
        (r_cmd_w.as_fd(), TO_RSPAWN),
        (r_rep_r.as_fd(), FROM_RSPAWN),
        (c_cmd_w.as_fd(), TO_CLEAN),
        (c_rep_r.as_fd(), FROM_CLEAN),
    ];
    fd::exec_with(&path, &argv, &moves, 111)
}

/// qmailr's groups with the qmail group first (initgroups(qmailr, qmail)).
fn remote_groups(gid_qmail: nix::unistd::Gid) -> Result<Vec<nix::unistd::Gid>, ids::IdError> {
    let name = std::ffi::CString::new(qmail_core::auto::USER_REMOTE)
        .map_err(|_| ids::IdError::User(qmail_core::auto::USER_REMOTE.to_string()))?;
    let mut groups = nix::unistd::getgrouplist(&name, gid_qmail)
        .map_err(|_| ids::IdError::User(qmail_core::auto::USER_REMOTE.to_string()))?;
    groups.retain(|g| *g != gid_qmail);
    groups.insert(0, gid_qmail);
    Ok(groups)
}
