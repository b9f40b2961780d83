//! The repairs, in an order where each leaves a queue the next can read: the layout, the
//! split, stale pid files, the link structure, then owners and modes of message files.
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use qmail_core::errstr::errstr;
use qmail_core::queue::{records, Dir};
use qmail_hier::{Ids, Owner};

use crate::inventory::Inventory;
use crate::links::{self, Damage};

/// The owner and mode of a message file in `dir`: qmail-queue (umask 033) makes mess,
/// intd and todo; qmail-send (umask 077) makes info, local, remote and bounce.
pub fn file_owner_mode(dir: Dir) -> (Owner, u32) {
    match dir {
        Dir::Mess | Dir::Intd | Dir::Todo => (Owner::Qmailq, 0o644),
        _ => (Owner::Qmails, 0o600),
    }
}

fn say(out: &mut impl Write, what: &str, path: &Path, r: io::Result<()>) {
    let _ = match r {
        Ok(()) => writeln!(out, "{what} {}", path.display()),
        Err(e) => writeln!(out, "unable to {what} {}: {}", path.display(), errstr(&e)),
    };
}

/// Set owner and mode through a descriptor opened without following a symlink, so a
/// queue user who swapped a file for a symlink cannot make root change another file.
fn set_owner_mode(path: &Path, uid: Option<u32>, gid: Option<u32>, mode: u32) -> io::Result<()> {
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc_flags())
        .open(path)?;
    if uid.is_some() || gid.is_some() {
        std::os::unix::fs::fchown(&f, uid, gid)?;
    }
    f.set_permissions(fs::Permissions::from_mode(mode))
}

fn libc_flags() -> i32 {
    (nix::fcntl::OFlag::O_NOFOLLOW | nix::fcntl::OFlag::O_NONBLOCK).bits()
}

pub fn all(
    home: &Path,
    queue: &Path,
    split: u32,
    ids: Option<Ids>,
    now: i64,
    out: &mut impl Write,
) -> Result<(), String> {
    crate::layout::repair(home, split, ids).map_err(|e| e.to_string())?;
    qmail_hier::resplit::resplit(queue, u64::from(split), "qmail-qfix", out)
        .map_err(|e| e.to_string())?;
    let inv = Inventory::read(queue, split, now)
        .map_err(|e| format!("unable to read {}: {}", queue.display(), errstr(&e)))?;
    for p in &inv.stale_pids {
        say(out, "remove", p, fs::remove_file(p));
    }
    for (id, m) in &inv.messages {
        let Some(d) = links::judge(m) else { continue };
        let files = inv.files.get(id).map(Vec::as_slice).unwrap_or_default();
        for dir in d.removes(m) {
            for f in files.iter().filter(|f| f.dir == dir) {
                say(out, "remove", &f.path, fs::remove_file(&f.path));
            }
        }
        if d == Damage::NoInfo {
            let path = queue.join(Dir::Info.path_split(*id, split));
            say(out, "write", &path, write_info(&path, ids));
        }
    }
    // owners and modes last: the files written above are included
    let inv = Inventory::read(queue, split, now)
        .map_err(|e| format!("unable to read {}: {}", queue.display(), errstr(&e)))?;
    for f in inv.files.values().flatten() {
        let (owner, mode) = file_owner_mode(f.dir);
        let uid = ids.map(|i| i.uid(owner).as_raw());
        if f.mode != mode || uid.is_some_and(|u| u != f.uid) {
            let gid = ids.map(|i| i.qmail.as_raw());
            let r = set_owner_mode(&f.path, uid, gid, mode);
            say(out, "set owner and mode of", &f.path, r);
        }
    }
    Ok(())
}

/// An info file with the null sender: qmail-send delivers the message and sends any
/// bounce to the postmaster (doublebounceto) rather than dropping it.
fn write_info(path: &Path, ids: Option<Ids>) -> io::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(&records::encode_info(b""))?;
    f.sync_all()?;
    drop(f);
    let uid = ids.map(|i| i.qmails.as_raw());
    let gid = ids.map(|i| i.qmail.as_raw());
    set_owner_mode(path, uid, gid, 0o600)
}
