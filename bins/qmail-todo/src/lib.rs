//! qmail-todo: qmail-send's todo/ preprocessor, in a process of its own so that a flood of
//! new messages never keeps qmail-send from scheduling deliveries. qmail-send starts it
//! (same uid qmails) with fd 0 = commands from qmail-send, fd 1 = reports to qmail-send,
//! fd 2 = qmail-send's log, and fd 3 = qmail-send's lock on lock/sendmutex, which
//! qmail-todo keeps open and never touches: while an old qmail-todo still writes, no new
//! qmail-send can start. The pipe protocol is `qmail_core::queue::todopipe`.
#![forbid(unsafe_code)]

mod conn;
mod scan;
mod todo;

use std::io::Write;

use nix::sys::signal::Signal;
use qmail_core::auto;
use qmail_core::control::Me;
use qmail_core::fatal::Fatal;
use qmail_core::rewrite::Rewrite;
use qmail_core::sendlog;

/// What the phases share: the rewriting controls and `me`; the log is fd 2.
pub struct Shared {
    pub me: Me,
    pub rewrite: Rewrite,
}

impl Shared {
    /// One line into qmail-send's log, in one write (a pipe keeps it whole).
    pub fn log(&mut self, line: &[u8]) {
        let _ = std::io::stderr().write_all(line);
    }

    /// `H` from qmail-send: locals and virtualdomains again.
    pub fn reread(&mut self) {
        if std::env::set_current_dir(auto::QMAIL).is_err() {
            self.log(&sendlog::alert(
                "unable to reread controls: unable to switch to home directory",
            ));
            return;
        }
        for a in self.rewrite.reread(&self.me) {
            self.log(&sendlog::alert(a));
        }
        while std::env::set_current_dir(qmail_core::queue::dirs::QUEUE).is_err() {
            self.log(&sendlog::alert(
                "unable to switch back to queue directory; HELP! sleeping...",
            ));
            std::thread::sleep(std::time::Duration::from_secs(10));
        }
    }
}

fn cannot(text: &str) -> Fatal {
    Fatal::new(111, format!("alert: qmail-todo: cannot start: {text}"))
}

pub fn run() -> Result<(), Fatal> {
    std::env::set_current_dir(auto::QMAIL)
        .map_err(|_| cannot("unable to switch to home directory"))?;
    let me = Me::init().map_err(|_| cannot("unable to read controls"))?;
    let rewrite = Rewrite::read(&me).map_err(|_| cannot("unable to read controls"))?;
    std::env::set_current_dir(qmail_core::queue::dirs::QUEUE)
        .map_err(|_| cannot("unable to switch to queue directory"))?;
    // qmail-send gone: a write fails and qmail-todo exits, leaving todo/ for the next one.
    let _ = qmail_sys::sig::ignore(Signal::SIGPIPE);
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    let conn = conn::Conn::open().map_err(|_| cannot("no connection to qmail-send"))?;
    let mut sh = Shared { me, rewrite };
    scan::Loop::new(conn).run(&mut sh);
    Ok(())
}
