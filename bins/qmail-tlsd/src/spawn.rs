//! Starting prog and dropping root: prog runs as qmaild (group nofiles) with clear-text
//! pipes as fds 0 and 1 and the control socket; the engine itself becomes qmailt. Nothing
//! from the network is read before both have happened.
use std::ffi::OsString;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};

use nix::fcntl::{fcntl, FcntlArg, FdFlag, OFlag};
use nix::unistd::{getuid, setgid, setgroups, setuid};
use qmail_core::ids;

/// The engine's descriptors.
pub struct Fds {
    /// The client.
    pub net_in: File,
    pub net_out: File,
    /// prog's fd 0 and fd 1.
    pub to_child: File,
    pub from_child: File,
    pub ctl: UnixStream,
}

pub struct Started {
    pub child: Child,
    pub fds: Fds,
}

fn e<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> String {
    move |err| format!("{what}: {err}")
}

/// Start prog as qmaild and become qmailt.
pub fn start(prog: &[OsString], implicit: bool) -> Result<Started, String> {
    if !nix::unistd::geteuid().is_root() {
        return Err("must start as root: it runs prog as qmaild and itself as qmailt".to_string());
    }
    let uid_daemon = ids::qmaild().map_err(|x| x.to_string())?;
    let uid_tls = ids::qmailt().map_err(|x| x.to_string())?;
    let gid_nofiles = ids::gid_nofiles().map_err(|x| x.to_string())?;
    if uid_daemon.is_root() || uid_tls.is_root() || uid_daemon == uid_tls {
        return Err("qmaild and qmailt must be two different users, neither root".into());
    }
    let net_in = File::from(qmail_sys::fd::take(0).map_err(e("fd 0"))?);
    let net_out = File::from(qmail_sys::fd::take(1).map_err(e("fd 1"))?);
    let (child_in, to_child) = nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(e("pipe"))?;
    let (from_child, child_out) = nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(e("pipe"))?;
    let (ctl, child_ctl) = UnixStream::pair().map_err(e("socketpair"))?;
    // prog inherits its end of the control socket under the number it is told.
    fcntl(child_ctl.as_raw_fd(), FcntlArg::F_SETFD(FdFlag::empty())).map_err(e("fcntl"))?;
    let (prog_name, prog_args) = prog.split_first().ok_or("no program")?;
    let mut cmd = Command::new(prog_name);
    cmd.args(prog_args)
        .stdin(Stdio::from(child_in))
        .stdout(Stdio::from(child_out))
        .env(qmail_tlsctl::ENV_FD, child_ctl.as_raw_fd().to_string());
    if implicit {
        cmd.env(qmail_tlsctl::ENV_IMPLICIT, "1");
    } else {
        cmd.env_remove(qmail_tlsctl::ENV_IMPLICIT);
    }
    qmail_sys::prot::on_spawn(&mut cmd, uid_daemon, gid_nofiles, &[gid_nofiles]);
    let child = cmd
        .spawn()
        .map_err(|x| format!("unable to run {}: {x}", prog_name.to_string_lossy()))?;
    drop(cmd);
    drop(child_ctl);
    setgroups(&[gid_nofiles]).map_err(e("setgroups"))?;
    setgid(gid_nofiles).map_err(e("setgid"))?;
    setuid(uid_tls).map_err(e("setuid"))?;
    if getuid().is_root() || nix::unistd::geteuid().is_root() {
        return Err("unable to give up root".into());
    }
    Ok(Started {
        child,
        fds: Fds {
            net_in,
            net_out,
            to_child: File::from(to_child),
            from_child: File::from(from_child),
            ctl,
        },
    })
}

/// Wait for prog (its status is its own business: qmail-smtpd's exit code says nothing
/// the engine must pass on).
pub fn reap(mut child: Child) {
    let _ = child.wait();
}
