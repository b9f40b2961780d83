//! The done phase: a recipient's failure paragraph appended to its bounce file, a
//! finished channel file removed, and a finished message's bounce sent, `end msg` logged,
//! info removed and mess handed to qmail-clean. It keeps no state of its own.
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;

use qmail_core::qmail::Qmail;
use qmail_core::queue::{names, Dir};

use crate::bounce::{self, Plan};
use crate::chan::{Channel, CHANNELS};
use crate::daemon::now;
use crate::log;
use crate::queue;
use crate::sched::{Timestamp, SLEEP_SYSFAIL};
use crate::shared::Shared;

enum Exists {
    Yes,
    No,
    Trouble,
}

fn exists(path: &str) -> Exists {
    match std::fs::metadata(path) {
        Ok(_) => Exists::Yes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Exists::No,
        Err(_) => Exists::Trouble,
    }
}

/// Append a bounce paragraph; blocks (retrying every 10 s) until it is written.
pub fn addbounce(sh: &mut Shared, id: u64, text: &[u8]) {
    let path = Dir::Bounce.path(id);
    let mut pos = 0usize;
    loop {
        let f = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&path);
        let mut f = match f {
            Ok(f) => f,
            Err(_) => {
                help_bounce(sh);
                continue;
            }
        };
        while pos < text.len() {
            match f.write(text.get(pos..).unwrap_or(&[])) {
                Ok(n) if n > 0 => pos = pos.saturating_add(n),
                _ => help_bounce(sh),
            }
        }
        return;
    }
}

fn help_bounce(sh: &mut Shared) {
    sh.log(&log::alert(
        "unable to append to bounce message; HELP! sleeping...",
    ));
    std::thread::sleep(std::time::Duration::from_secs(10));
}

/// Every recipient of `chan` is done: remove its file; the message is done when the
/// other channel has no file either.
pub fn finish_channel(sh: &mut Shared, chan: Channel, id: u64, n: Timestamp) {
    let path = chan.path(id);
    if std::fs::remove_file(&path).is_err() {
        sh.log(&log::warn_fn(
            "unable to unlink ",
            &path,
            "; will try again later",
        ));
        sh.sched.insert(chan, id, n.saturating_add(SLEEP_SYSFAIL));
        return;
    }
    let other = chan.other().path(id);
    match std::fs::metadata(&other) {
        Ok(_) => return,
        Err(e) if queue::is_noent(&e) => {}
        Err(_) => sh.log(&log::warn_fn("unable to stat ", &other, "")),
    }
    sh.sched.insert_done(id, now());
}

pub fn messdone(sh: &mut Shared, id: u64) {
    if !messdone_try(sh, id) {
        sh.sched
            .insert_done(id, now().saturating_add(SLEEP_SYSFAIL));
    }
}

/// false: try again later (a warning has been logged).
fn messdone_try(sh: &mut Shared, id: u64) -> bool {
    let mut check = CHANNELS.iter().map(|c| c.path(id)).collect::<Vec<_>>();
    check.push(Dir::Todo.path(id));
    for p in &check {
        match exists(p) {
            Exists::Yes => return true, // spurious: not finished after all
            Exists::No => {}
            Exists::Trouble => {
                sh.log(&log::warn_fn(
                    "unable to stat ",
                    p,
                    "; will try again later",
                ));
                return false;
            }
        }
    }
    let info = Dir::Info.path(id);
    match exists(&info) {
        Exists::No => return true,
        Exists::Yes => {}
        Exists::Trouble => {
            sh.log(&log::warn_fn(
                "unable to stat ",
                &info,
                "; will try again later",
            ));
            return false;
        }
    }
    if !injectbounce(sh, id) {
        return false;
    }
    sh.log(&log::end_msg(id));
    if std::fs::remove_file(&info).is_err() {
        sh.log(&log::warn_fn(
            "unable to unlink ",
            &info,
            "; will try again later",
        ));
        return false;
    }
    sh.clean_warn(&names::foop(id));
    true
}

/// Send the bounce of a finished message, if it has one. false: try again later.
fn injectbounce(sh: &mut Shared, id: u64) -> bool {
    let Some((sender, _)) = queue::getinfo(id) else {
        return false;
    };
    let sender = bounce::base_sender(&sender).to_vec();
    let bpath = Dir::Bounce.path(id);
    match exists(&bpath) {
        Exists::No => return true,
        Exists::Yes => {}
        Exists::Trouble => {
            sh.log(&log::warn_fn("unable to stat ", &bpath, ""));
            return false;
        }
    }
    match bounce::plan(&sender, &sh.ctl.doublebounceto) {
        Plan::Discard => sh.log(&log::triple_bounce(id)),
        Plan::Send { from, to, double } => {
            let Ok(mut qq) = Qmail::open() else {
                sh.log(&log::warning("unable to start qmail-queue, will try later"));
                return false;
            };
            let qp = qq.qp();
            let date = qmail_core::date822::date822(now());
            qq.put(&bounce::head(
                &date,
                &sh.ctl.bouncefrom,
                &sh.ctl.bouncehost,
                &to,
                double,
            ));
            copy_into(&mut qq, &bpath);
            qq.put(&bounce::middle(&sender, double));
            copy_into(&mut qq, &Dir::Mess.path(id));
            qq.from(&from);
            qq.to(&to);
            if qq.close().is_err() {
                sh.log(&log::warning(
                    "trouble injecting bounce message, will try later",
                ));
                return false;
            }
            sh.log(&log::bounce_msg(id, qp));
        }
    }
    if std::fs::remove_file(&bpath).is_err() {
        sh.log(&log::warn_fn("unable to unlink ", &bpath, ""));
        return false;
    }
    true
}

/// Copy a file into the message; a read error cancels the injection.
fn copy_into(qq: &mut Qmail, path: &str) {
    let Ok(mut f) = queue::open_read(path) else {
        qq.fail();
        return;
    };
    if qq.put_reader(&mut f).is_err() {
        qq.fail();
    }
}
