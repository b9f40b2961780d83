//! qbiff: announce a message on every terminal where the user is logged in and has
//! said `biff y` (owner-execute bit on the tty), from a `.qmail` line `|qbiff`
//! (qbiff(1)). It never affects the delivery: every outcome is exit 0.
#![forbid(unsafe_code)]

mod summary;
mod utmp;

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

fn var(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

/// Always 0: qbiff has no failures to report.
pub fn run() -> u8 {
    let (Some(user), Some(sender), Some(local)) = (var("USER"), var("SENDER"), var("LOCAL")) else {
        return 0;
    };
    if user.len() > utmp::NAME_LEN {
        return 0;
    }
    let text = summary::text(&mut io::stdin().lock());
    let note = summary::note(local.as_bytes(), sender.as_bytes(), &text);
    let Ok(records) = std::fs::read(utmp::PATH) else {
        return 0;
    };
    let me = nix::unistd::getuid().as_raw();
    for line in utmp::ttys(&records, user.as_bytes()) {
        let tty = Path::new("/dev").join(std::ffi::OsStr::from_bytes(&line));
        let Ok(m) = std::fs::metadata(&tty) else {
            continue;
        };
        if m.mode() & 0o100 == 0 || m.uid() != me {
            continue;
        }
        if let Ok(mut f) = OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK)
            .open(&tty)
        {
            let _ = f.write_all(&note);
        }
    }
    0
}
