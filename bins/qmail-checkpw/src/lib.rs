//! qmail-checkpw prog [arg ...]: the checkpassword interface (as qmail-popup and
//! qmail-smtpd call it) for the system's accounts. It reads `user\0password\0timestamp\0`
//! (at most 512 bytes) from descriptor 3, finds the user's hash in /etc/shadow and checks
//! the password with crypt(3) (yescrypt and every other method libcrypt knows). Exit 1
//! when they do not match; 111 when it cannot tell; otherwise it runs prog with USER,
//! HOME and SHELL set: as the user, in the home directory, when it runs as root (POP3);
//! as its caller otherwise (SMTP AUTH, with prog /bin/true).
//!
//! Reading /etc/shadow needs root or group shadow: install it setgid shadow (mode 2711)
//! for qmail-smtpd, which runs as qmaild. It gives up that group before running prog.
#![forbid(unsafe_code)]

mod shadow;

use std::ffi::{CString, OsString};
use std::fs::File;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::Command;

use nix::unistd::{getegid, geteuid, getgid, setgid, setgroups, setuid, User};

const BAD: u8 = 1;
const TEMP: u8 = 111;
/// The checkpassword interface: at most 512 bytes on descriptor 3.
const INPUT_MAX: u64 = 512;

fn fields(input: &[u8]) -> Option<(&[u8], &[u8])> {
    // Three fields, each terminated: name, password, timestamp.
    if input.iter().filter(|&&b| b == 0).count() < 3 {
        return None;
    }
    let mut it = input.split(|&b| b == 0);
    let user = it.next()?;
    let pass = it.next()?;
    if user.is_empty() {
        return None;
    }
    Some((user, pass))
}

/// The whole program; the exit status when prog was not run.
pub fn run(args: &[OsString]) -> u8 {
    let Some((prog, prog_args)) = args.get(1..).and_then(|a| a.split_first()) else {
        return 2;
    };
    let mut input = Vec::new();
    let Ok(fd3) = qmail_sys::fd::take(3) else {
        return TEMP;
    };
    if File::from(fd3)
        .take(INPUT_MAX)
        .read_to_end(&mut input)
        .is_err()
    {
        return TEMP;
    }
    let ok = match fields(&input) {
        None => Err(BAD),
        Some((user, pass)) => check(user, pass),
    };
    input.fill(0);
    std::hint::black_box(&input);
    let user = match ok {
        Ok(u) => u,
        Err(code) => return code,
    };
    let mut cmd = Command::new(prog);
    cmd.args(prog_args)
        .env("USER", &user.name)
        .env("HOME", &user.dir)
        .env("SHELL", &user.shell);
    if geteuid().is_root() {
        if setgroups(&[user.gid]).is_err() || setgid(user.gid).is_err() || setuid(user.uid).is_err()
        {
            return TEMP;
        }
        if std::env::set_current_dir(&user.dir).is_err() {
            return TEMP;
        }
    } else if getegid() != getgid() && setgid(getgid()).is_err() {
        // setgid shadow: prog must not keep the group.
        return TEMP;
    }
    let _ = cmd.exec();
    TEMP
}

/// The account when `pass` is its password.
fn check(user: &[u8], pass: &[u8]) -> Result<User, u8> {
    let name = std::str::from_utf8(user).map_err(|_| BAD)?;
    let account = match User::from_name(name) {
        Ok(Some(u)) => u,
        Ok(None) => return Err(BAD),
        Err(_) => return Err(TEMP),
    };
    let stored = shadow::hash_of(user)?;
    let (Ok(phrase), Ok(setting)) = (CString::new(pass), CString::new(stored.clone())) else {
        return Err(BAD);
    };
    let Some(computed) = qmail_sys::crypt::hash(&phrase, &setting) else {
        return Err(BAD);
    };
    if !shadow::same(&computed, &stored) {
        return Err(BAD);
    }
    Ok(account)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_fields() {
        assert_eq!(fields(b"u\0p\0t\0"), Some((&b"u"[..], &b"p"[..])));
        assert_eq!(fields(b"u\0\0\0"), Some((&b"u"[..], &b""[..])));
        assert_eq!(fields(b"u\0p\0"), None);
        assert_eq!(fields(b"\0p\0t\0"), None);
        assert_eq!(fields(b""), None);
    }
}
