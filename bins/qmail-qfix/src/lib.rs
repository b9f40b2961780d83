//! qmail-qfix [ -r | -c ] [ -s split ] [ queuedir ]: check a qmail queue and, with -r,
//! repair it. It checks the directories, lock files and trigger FIFO (owner, group, mode,
//! type), the split, the link structure of every message across mess, intd, todo, info,
//! local, remote and bounce, the owners and modes of message files, names that are not
//! queue files, and stale pid/ files; it prints one line per finding. -r repairs, only
//! while qmail-send is stopped (it takes lock/sendmutex for the whole run); -c also
//! creates a queue that does not exist; -s moves every file to the subdirectory `split`
//! selects. Exit 0: nothing (left) wrong; 1: findings remain; 100: usage; 111: trouble.
#![forbid(unsafe_code)]

mod inventory;
pub mod layout;
pub mod links;
mod repair;

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use qmail_core::errstr::errstr;
use qmail_core::queue::dirs::{QUEUE, SENDMUTEX};
use qmail_core::{auto, date822};
use qmail_hier::Ids;

pub use inventory::Inventory;

const USAGE: &str = "usage: qmail-qfix [ -r | -c ] [ -s split ] [ queuedir ]";

#[derive(Debug, PartialEq, Eq)]
pub struct Opts {
    pub repair: bool,
    pub create: bool,
    pub split: u32,
    pub queue: PathBuf,
}

/// Options in the getopt style: `-rs 7`, `-r -s7`, `--` ends them.
pub fn parse_args(args: &[OsString]) -> Option<Opts> {
    let mut o = Opts {
        repair: false,
        create: false,
        split: auto::SPLIT,
        queue: Path::new(auto::QMAIL).join(QUEUE),
    };
    let mut rest = args.iter();
    let mut operands = Vec::new();
    while let Some(a) = rest.next() {
        let s = a.to_str().unwrap_or("");
        if s == "--" {
            operands.extend(rest.by_ref());
            break;
        }
        if !s.starts_with('-') || s == "-" {
            operands.push(a);
            continue;
        }
        let mut chars = s.chars().skip(1);
        while let Some(c) = chars.next() {
            match c {
                'r' => o.repair = true,
                'c' => {
                    o.repair = true;
                    o.create = true;
                }
                's' => {
                    let inline: String = chars.by_ref().collect();
                    let v = if inline.is_empty() {
                        rest.next()?.to_str()?.to_string()
                    } else {
                        inline
                    };
                    o.split = v.parse().ok().filter(|&n| (1..=1000).contains(&n))?;
                }
                _ => return None,
            }
        }
    }
    match operands.as_slice() {
        [] => {}
        [q] => o.queue = PathBuf::from(q),
        _ => return None,
    }
    Some(o)
}

/// The queue must be called `queue`: the owners and modes come from the table of the
/// qmail home, where it is `queue/`.
fn home_of(queue: &Path) -> Option<PathBuf> {
    if queue.file_name()? != QUEUE {
        return None;
    }
    Some(queue.parent()?.to_path_buf())
}

/// Keep qmail-send from starting while we repair; refuse while it runs. A queue without
/// its mutex (one being created or repaired) has nothing to lock yet.
fn lock(queue: &Path) -> Result<Option<Flock<File>>, String> {
    let path = queue.join(SENDMUTEX);
    let f = match OpenOptions::new().write(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("unable to open {}: {}", path.display(), errstr(&e))),
    };
    match Flock::lock(f, FlockArg::LockExclusiveNonblock) {
        Ok(l) => Ok(Some(l)),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => {
            Err("qmail-send is running; stop it before repairing".to_string())
        }
        Err((_, e)) => Err(format!(
            "unable to lock {}: {}",
            path.display(),
            errstr(&io::Error::from(e))
        )),
    }
}

pub fn main() -> u8 {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let mut out = io::stdout().lock();
    let Some(opts) = parse_args(&args) else {
        let _ = writeln!(io::stderr(), "qmail-qfix: {USAGE}");
        return 100;
    };
    match run(&opts, &mut out) {
        Ok(code) => code,
        Err(e) => {
            let _ = out.flush();
            let _ = writeln!(io::stderr(), "qmail-qfix: fatal: {e}");
            111
        }
    }
}

/// Check (and with `-r` repair) the queue; the exit code, or the fatal error's text.
pub fn run(o: &Opts, out: &mut impl Write) -> Result<u8, String> {
    let Some(home) = home_of(&o.queue) else {
        return Err(format!(
            "{} is not a directory called {QUEUE}",
            o.queue.display()
        ));
    };
    if !o.create {
        std::fs::metadata(&o.queue).map_err(|e| {
            format!(
                "unable to stat {}: {}{}",
                o.queue.display(),
                errstr(&e),
                if o.repair {
                    " (-c creates a queue)"
                } else {
                    ""
                }
            )
        })?;
    }
    // Owners are checked where the qmail users exist (not in a package build root).
    let ids = Ids::lookup().ok();
    let _lock = if o.repair { lock(&o.queue)? } else { None };
    let now = date822::now();
    if o.create && std::fs::symlink_metadata(&o.queue).is_err() {
        layout::repair(&home, o.split, ids).map_err(|e| e.to_string())?;
        let _ = writeln!(out, "created {}", o.queue.display());
    }
    let found = findings(&home, &o.queue, o.split, ids, now)?;
    for f in &found {
        let _ = writeln!(out, "{f}");
    }
    if !o.repair {
        return Ok(u8::from(!found.is_empty()));
    }
    repair::all(&home, &o.queue, o.split, ids, now, out)?;
    let left = findings(&home, &o.queue, o.split, ids, now)?;
    for f in &left {
        let _ = writeln!(out, "not fixed: {f}");
    }
    let _ = writeln!(
        out,
        "{} found, {} fixed, {} left",
        found.len(),
        found.len().saturating_sub(left.len()),
        left.len()
    );
    Ok(u8::from(!left.is_empty()))
}

/// Every finding, one line each.
pub fn findings(
    home: &Path,
    queue: &Path,
    split: u32,
    ids: Option<Ids>,
    now: i64,
) -> Result<Vec<String>, String> {
    let mut v: Vec<String> = layout::check(home, split, ids)
        .map_err(|e| e.to_string())?
        .iter()
        .map(ToString::to_string)
        .collect();
    let inv = Inventory::read(queue, split, now)
        .map_err(|e| format!("unable to read {}: {}", queue.display(), errstr(&e)))?;
    for (from, to) in &inv.misplaced {
        v.push(format!(
            "{} is in the wrong subdirectory for split {split} (belongs in {})",
            from.display(),
            to.display()
        ));
    }
    for d in &inv.extra_subdirs {
        v.push(format!(
            "{} is not a subdirectory of split {split}",
            d.display()
        ));
    }
    for p in &inv.strangers {
        v.push(format!("{} is not a queue file", p.display()));
    }
    for p in &inv.stale_pids {
        v.push(format!("{} is stale", p.display()));
    }
    for (id, m) in &inv.messages {
        if let Some(d) = links::judge(m) {
            v.push(format!("message {id} {}", d.text()));
        }
    }
    for f in inv.files.values().flatten() {
        let (owner, mode) = repair::file_owner_mode(f.dir);
        if f.mode != mode {
            v.push(format!(
                "{} has mode {:o}, not {mode:o}",
                f.path.display(),
                f.mode
            ));
        }
        if let Some(ids) = ids {
            if f.uid != ids.uid(owner).as_raw() {
                v.push(format!(
                    "{} is not owned by {}",
                    f.path.display(),
                    owner.name()
                ));
            }
        }
    }
    Ok(v)
}
