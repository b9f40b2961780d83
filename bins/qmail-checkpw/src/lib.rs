//! qmail-checkpw [ -f file ] prog [arg ...]: the checkpassword interface (as qmail-popup
//! and qmail-smtpd call it) for the system's accounts, or for the names of a site password
//! file (`name:hash` lines, for SMTP AUTH only). It reads `user\0password\0timestamp\0`
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
use std::os::unix::ffi::OsStrExt;
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

/// `[ -f file ] prog [arg ...]`: the site password file, if any, and prog with its
/// arguments. None when prog is missing.
fn options(args: &[OsString]) -> Option<(Option<&OsString>, &[OsString])> {
    let mut rest = args.get(1..)?;
    let mut file = None;
    match rest.first().and_then(|a| a.to_str()) {
        Some("-f") => {
            file = Some(rest.get(1)?);
            rest = rest.get(2..)?;
        }
        Some("--") => rest = rest.get(1..)?,
        _ => {}
    }
    if rest.first().and_then(|a| a.to_str()) == Some("--") {
        rest = rest.get(1..)?;
    }
    if rest.is_empty() {
        return None;
    }
    Some((file, rest))
}

/// The whole program; the exit status when prog was not run.
pub fn run(args: &[OsString]) -> u8 {
    let Some((file, argv)) = options(args) else {
        return 2;
    };
    let Some((prog, prog_args)) = argv.split_first() else {
        return 2;
    };
    if let Some(file) = file {
        return site(file, prog, prog_args);
    }
    let mut input = match request() {
        Ok(i) => i,
        Err(code) => return code,
    };
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

/// Read descriptor 3 (at most INPUT_MAX bytes).
fn request() -> Result<Vec<u8>, u8> {
    let mut input = Vec::new();
    let fd3 = qmail_sys::fd::take(3).map_err(|_| TEMP)?;
    File::from(fd3)
        .take(INPUT_MAX)
        .read_to_end(&mut input)
        .map_err(|_| TEMP)?;
    Ok(input)
}

/// `-f file`: the name and password checked against the site password file; prog runs as
/// the caller with USER set. A name there is no account: as root (qmail-popup) there is
/// nobody to become, so that is refused as a temporary failure.
fn site(file: &OsString, prog: &OsString, prog_args: &[OsString]) -> u8 {
    if geteuid().is_root() {
        return TEMP;
    }
    if getegid() != getgid() && !in_control(file.as_bytes()) {
        // Setgid shadow: no caller may point it at another file the group can read.
        return TEMP;
    }
    let mut input = match request() {
        Ok(i) => i,
        Err(code) => return code,
    };
    let ok = match fields(&input) {
        None => Err(BAD),
        Some((user, pass)) => {
            shadow::hash_in(std::path::Path::new(file), user).and_then(|stored| {
                verify(pass, &stored)?;
                Ok(user.to_vec())
            })
        }
    };
    input.fill(0);
    std::hint::black_box(&input);
    let user = match ok {
        Ok(u) => u,
        Err(code) => return code,
    };
    if getegid() != getgid() && setgid(getgid()).is_err() {
        return TEMP;
    }
    let mut cmd = Command::new(prog);
    cmd.args(prog_args)
        .env("USER", std::ffi::OsStr::from_bytes(&user))
        .env_remove("HOME")
        .env_remove("SHELL");
    let _ = cmd.exec();
    TEMP
}

/// A file directly in the qmail home's control directory, which only root can change.
fn in_control(path: &[u8]) -> bool {
    let dir = format!("{}/control/", qmail_core::auto::QMAIL);
    match path.strip_prefix(dir.as_bytes()) {
        Some(name) => !name.is_empty() && !name.contains(&b'/') && name != b"." && name != b"..",
        None => false,
    }
}

/// Ok when `pass` hashes to `stored` (crypt(3)).
fn verify(pass: &[u8], stored: &[u8]) -> Result<(), u8> {
    let (Ok(phrase), Ok(setting)) = (CString::new(pass), CString::new(stored.to_vec())) else {
        return Err(BAD);
    };
    let Some(computed) = qmail_sys::crypt::hash(&phrase, &setting) else {
        return Err(BAD);
    };
    if !shadow::same(&computed, stored) {
        return Err(BAD);
    }
    Ok(())
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
    verify(pass, &stored)?;
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

    #[test]
    fn setgid_files_only_from_control() {
        assert!(in_control(b"/var/qmail/control/smtppasswd"));
        assert!(!in_control(b"/etc/gshadow"));
        assert!(!in_control(b"/var/qmail/control/../../../etc/gshadow"));
        assert!(!in_control(b"/var/qmail/control/"));
        assert!(!in_control(b"/var/qmail/control/.."));
        assert!(!in_control(b"/var/qmail/controlx/p"));
    }

    #[test]
    fn option_f() {
        let o = |v: &[&str]| {
            let a: Vec<OsString> = v.iter().map(OsString::from).collect();
            options(&a).map(|(f, p)| {
                (
                    f.map(|f| f.to_string_lossy().into_owned()),
                    p.iter()
                        .map(|x| x.to_string_lossy().into_owned())
                        .collect::<Vec<_>>(),
                )
            })
        };
        assert_eq!(o(&["c", "true"]), Some((None, vec!["true".into()])));
        assert_eq!(
            o(&["c", "-f", "/etc/pw", "true", "x"]),
            Some((Some("/etc/pw".into()), vec!["true".into(), "x".into()]))
        );
        assert_eq!(
            o(&["c", "-f", "/etc/pw", "--", "-p"]),
            Some((Some("/etc/pw".into()), vec!["-p".into()]))
        );
        assert_eq!(o(&["c", "--", "-f"]), Some((None, vec!["-f".into()])));
        assert_eq!(o(&["c", "-f", "/etc/pw"]), None);
        assert_eq!(o(&["c", "-f"]), None);
        assert_eq!(o(&["c"]), None);
    }
}
