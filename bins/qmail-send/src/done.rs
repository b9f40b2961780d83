//! Finishing a message: send its bounce,
//! log `end msg`, remove info, and have qmail-clean remove mess.
use std::io;

use qmail_core::qmail::Qmail;
use qmail_core::queue::{names, Dir};

use crate::bounce::{self, Plan};
use crate::chan::CHANNELS;
use crate::daemon::{now, Daemon};
use crate::log;
use crate::queue;
use crate::sched::SLEEP_SYSFAIL;

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

impl Daemon {
    pub fn messdone(&mut self, id: u64) {
        if !self.messdone_try(id) {
            self.sched
                .insert_done(id, now().saturating_add(SLEEP_SYSFAIL));
        }
    }

    /// false: try again later (a warning has been logged).
    fn messdone_try(&mut self, id: u64) -> bool {
        let mut check = CHANNELS.iter().map(|c| c.path(id)).collect::<Vec<_>>();
        check.push(Dir::Todo.path(id));
        for p in &check {
            match exists(p) {
                Exists::Yes => return true, // spurious: not finished after all
                Exists::No => {}
                Exists::Trouble => {
                    self.log(&log::warn_fn(
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
                self.log(&log::warn_fn(
                    "unable to stat ",
                    &info,
                    "; will try again later",
                ));
                return false;
            }
        }
        if !self.injectbounce(id) {
            return false;
        }
        self.log(&log::end_msg(id));
        if std::fs::remove_file(&info).is_err() {
            self.log(&log::warn_fn(
                "unable to unlink ",
                &info,
                "; will try again later",
            ));
            return false;
        }
        self.clean_warn(&names::foop(id));
        true
    }

    /// Send the bounce of a finished message, if it has one. false: try again later.
    fn injectbounce(&mut self, id: u64) -> bool {
        let Some((sender, _)) = queue::getinfo(id) else {
            return false;
        };
        let sender = bounce::base_sender(&sender).to_vec();
        let bpath = Dir::Bounce.path(id);
        match exists(&bpath) {
            Exists::No => return true,
            Exists::Yes => {}
            Exists::Trouble => {
                self.log(&log::warn_fn("unable to stat ", &bpath, ""));
                return false;
            }
        }
        match bounce::plan(&sender, &self.ctl.doublebounceto) {
            Plan::Discard => self.log(&log::triple_bounce(id)),
            Plan::Send { from, to, double } => {
                let Ok(mut qq) = Qmail::open() else {
                    self.log(&log::warning("unable to start qmail-queue, will try later"));
                    return false;
                };
                let qp = qq.qp();
                let date = qmail_core::date822::date822(now());
                qq.put(&bounce::head(
                    &date,
                    &self.ctl.bouncefrom,
                    &self.ctl.bouncehost,
                    &to,
                    double,
                ));
                copy_into(&mut qq, &bpath);
                qq.put(&bounce::middle(&sender, double));
                copy_into(&mut qq, &Dir::Mess.path(id));
                qq.from(&from);
                qq.to(&to);
                if qq.close().is_err() {
                    self.log(&log::warning(
                        "trouble injecting bounce message, will try later",
                    ));
                    return false;
                }
                self.log(&log::bounce_msg(id, qp));
            }
        }
        if std::fs::remove_file(&bpath).is_err() {
            self.log(&log::warn_fn("unable to unlink ", &bpath, ""));
            return false;
        }
        true
    }
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
