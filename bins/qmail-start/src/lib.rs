//! qmail-start: run as root, once. It wires qmail-send to qmail-lspawn,
//! qmail-rspawn and qmail-clean with six pipes, starts each under its own user, optionally
//! starts a logger as qmaill, and finally becomes qmail-send (uid qmails) with the fixed
//! descriptor layout 0 = log, 1/2 lspawn, 3/4 rspawn, 5/6 qmail-clean. Any failure exits 111
//! without a word.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use std::ffi::{CString, OsString};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use nix::fcntl::{fcntl, FcntlArg, FdFlag, OFlag};
use qmail_core::ids;
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

fn cloexec(f: RawFd) -> io::Result<()> {
    fcntl(f, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)).map_err(io::Error::from)?;
    Ok(())
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
    // Occupy 2..6 so every pipe below gets a number above 6 and no dup2 at the end can
    // overwrite a descriptor still to be moved. Close-on-exec keeps them from the children.
    for n in 2..=6 {
        fd::copy_to(0, n)?;
        cloexec(n)?;
    }
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
        None => nix::unistd::dup(1)
            .map(fd::take)
            .map_err(io::Error::from)??,
    };
    cloexec(log.as_raw_fd())?;

    let (l_cmd_r, l_cmd_w) = pipe()?;
    let (l_rep_r, l_rep_w) = pipe()?;
    let (r_cmd_r, r_cmd_w) = pipe()?;
    let (r_rep_r, r_rep_w) = pipe()?;
    let (c_cmd_r, c_cmd_w) = pipe()?;
    let (c_rep_r, c_rep_w) = pipe()?;

    let mut lspawn = Command::new("qmail-lspawn");
    lspawn.arg(&defaultdelivery);
    daemon(lspawn, l_cmd_r, l_rep_w);

    // qmail-rspawn keeps qmailr's supplementary groups (notqmail's initgroups), so a site
    // can give qmail-remote access to, say, a TLS key group.
    let mut rspawn = Command::new("qmail-rspawn");
    let groups = remote_groups(gid_qmail).map_err(err)?;
    qmail_sys::prot::on_spawn(&mut rspawn, uid_remote, gid_qmail, &groups);
    daemon(rspawn, r_cmd_r, r_rep_w);

    let mut clean = Command::new("qmail-clean");
    clean.gid(gid_qmail.as_raw()).uid(uid_queue.as_raw());
    daemon(clean, c_cmd_r, c_rep_w);

    nix::unistd::setuid(uid_send).map_err(io::Error::from)?;
    for (from, to) in [
        (&log, SEND_LOG),
        (&l_cmd_w, TO_LSPAWN),
        (&l_rep_r, FROM_LSPAWN),
        (&r_cmd_w, TO_RSPAWN),
        (&r_rep_r, FROM_RSPAWN),
        (&c_cmd_w, TO_CLEAN),
        (&c_rep_r, FROM_CLEAN),
    ] {
        fd::copy_to(from.as_raw_fd(), to)?;
    }
    let argv = [CString::new("qmail-send").map_err(err)?];
    nix::unistd::execvp(&argv[0], &argv).map_err(io::Error::from)?;
    Ok(())
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
