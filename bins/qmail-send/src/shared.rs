//! What every phase of qmail-send uses: the log, the qmail-clean connection, the
//! scheduler and the controls.
use std::fs::File;
use std::io::{self, Write};

use qmail_core::auto;
use qmail_core::queue::dirs::QUEUE;

use crate::controls::Controls;
use crate::log;
use crate::sched::Sched;

/// The pipes to qmail-clean; `alive` turns false for good when one breaks.
pub struct Clean {
    w: File,
    r: File,
    alive: bool,
}

impl Clean {
    pub fn new(w: File, r: File) -> Clean {
        Clean { w, r, alive: true }
    }
}

pub struct Shared {
    log: File,
    clean: Clean,
    pub sched: Sched,
    pub ctl: Controls,
}

impl Shared {
    pub fn new(log: File, clean: Clean, sched: Sched, ctl: Controls) -> Shared {
        Shared {
            log,
            clean,
            sched,
            ctl,
        }
    }

    pub fn log(&mut self, line: &[u8]) {
        let _ = self.log.write_all(line);
    }

    pub fn pausedir(&mut self, dir: &str) {
        self.log(&log::alert(&format!(
            "unable to opendir {dir}, sleeping..."
        )));
        std::thread::sleep(std::time::Duration::from_secs(10));
    }

    /// One request to qmail-clean; `None` if the connection is lost (qmail-send then
    /// exits as soon as it can).
    pub fn clean(&mut self, req: &str) -> Option<u8> {
        if !self.clean.alive {
            return None;
        }
        let mut b = [0u8; 1];
        let ok = self
            .clean
            .w
            .write_all(format!("{req}\0").as_bytes())
            .is_ok()
            && io::Read::read_exact(&mut self.clean.r, &mut b).is_ok();
        if ok {
            return Some(b[0]);
        }
        self.log(&log::alert("oh no! lost qmail-clean connection! dying..."));
        self.clean.alive = false;
        self.sched.exit_asap();
        None
    }

    /// Ask qmail-clean; warn unless it answers `+`. Returns whether it did.
    pub fn clean_warn(&mut self, req: &str) -> bool {
        match self.clean(req) {
            Some(b'+') => true,
            Some(_) => {
                self.log(&log::warn_fn("qmail-clean unable to clean up ", req, ""));
                false
            }
            None => false,
        }
    }

    /// SIGHUP: read control/locals and control/virtualdomains again; keep the old maps
    /// when a file cannot be read.
    pub fn reread(&mut self) {
        if std::env::set_current_dir(auto::QMAIL).is_err() {
            self.log(&log::alert(
                "unable to reread controls: unable to switch to home directory",
            ));
            return;
        }
        for a in self.ctl.rewrite.reread(&self.ctl.me) {
            self.log(&log::alert(a));
        }
        while std::env::set_current_dir(QUEUE).is_err() {
            self.log(&log::alert(
                "unable to switch back to queue directory; HELP! sleeping...",
            ));
            std::thread::sleep(std::time::Duration::from_secs(10));
        }
    }
}
