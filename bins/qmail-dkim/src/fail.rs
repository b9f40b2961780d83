//! A temporary failure the submitter can read: the line goes to fd 2 (the log of
//! qmail-smtpd, the user's terminal) and, when the caller gave us notqmail's custom-error
//! pipe on fd 6, as `Z<text>` there with exit 82, so qmail-smtpd's 451 and qmail-inject's
//! message say what is wrong. Otherwise the exit code is the closest of qmail-queue's.
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileTypeExt;

use qmail_core::exit::QueueExit;
use qmail_core::fatal::Fatal;

pub fn temporary(code: QueueExit, text: &str) -> Fatal {
    let line = format!("qmail-dkim: fatal: {text}");
    if let Ok(fd) = qmail_sys::fd::take(6) {
        let mut f = File::from(fd);
        let fifo = f.metadata().is_ok_and(|m| m.file_type().is_fifo());
        if fifo && f.write_all(format!("Z{text} (#4.3.0)").as_bytes()).is_ok() {
            return Fatal::new(QueueExit::Custom.code(), line);
        }
    }
    Fatal::new(code.code(), line)
}
