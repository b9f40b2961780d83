//! qmail-local's failures: a `qmail_core::fatal::Fatal` with an exit code (100 permanent,
//! 111 temporary) and the one line of report text qmail-lspawn turns into the delivery
//! report. Every text qmail-local can print is built here, so the report vocabulary stays
//! in one place.
use std::io;

use qmail_core::exit::LocalExit;
pub use qmail_core::fatal::Fatal;

/// A failed delivery: exit with the code after printing the text (and a newline) on fd 2.
pub fn temp(text: impl Into<String>) -> Fatal {
    Fatal::new(LocalExit::Temp.code(), text.into())
}
pub fn perm(text: impl Into<String>) -> Fatal {
    Fatal::new(LocalExit::Perm.code(), text.into())
}
/// A program that failed; its own output is the report.
pub fn silent(code: LocalExit) -> Fatal {
    Fatal::quiet(code.code())
}

pub fn usage() -> Fatal {
    perm(
        "qmail-local: usage: qmail-local [ -nN ] user homedir local dash ext domain sender aliasempty",
    )
}
pub fn chdir_home(home: &[u8], e: &io::Error) -> Fatal {
    temp(format!(
        "Unable to switch to {}: {}. (#4.3.0)",
        show(home),
        errstr(e)
    ))
}
pub fn stat_home(e: &io::Error) -> Fatal {
    temp(format!(
        "Unable to stat home directory: {}. (#4.3.0)",
        errstr(e)
    ))
}
pub fn home_writable() -> Fatal {
    temp("Uh-oh: home directory is writable. (#4.7.0)")
}
pub fn home_sticky() -> Fatal {
    temp("Home directory is sticky: user is editing his .qmail file. (#4.2.1)")
}
pub fn qmail_writable() -> Fatal {
    temp("Uh-oh: .qmail file is writable. (#4.7.0)")
}
pub fn first_line_blank() -> Fatal {
    temp("Uh-oh: first line of .qmail file is blank. (#4.2.1)")
}
pub fn file_but_x() -> Fatal {
    temp("Uh-oh: .qmail has file delivery but has x bit set. (#4.7.0)")
}
pub fn prog_but_x() -> Fatal {
    temp("Uh-oh: .qmail has prog delivery but has x bit set. (#4.7.0)")
}
pub fn no_mailbox() -> Fatal {
    perm("Sorry, no mailbox here by that name. (#5.1.1)")
}
pub fn looping() -> Fatal {
    perm("This message is looping: it already has my Delivered-To line. (#5.4.6)")
}
pub fn open_qmail(name: &[u8], e: &io::Error) -> Fatal {
    temp(format!(
        "Unable to open {}: {}. (#4.3.0)",
        show(name),
        errstr(e)
    ))
}
pub fn read_qmail(name: &[u8], e: &io::Error) -> Fatal {
    temp(format!(
        "Unable to read {}: {}. (#4.3.0)",
        show(name),
        errstr(e)
    ))
}
pub fn rewind() -> Fatal {
    temp("Unable to rewind message. (#4.3.0)")
}
pub fn read_message(e: &io::Error) -> Fatal {
    temp(format!("Unable to read message: {}. (#4.3.0)", errstr(e)))
}
pub fn fork(e: &io::Error) -> Fatal {
    temp(format!("Unable to fork: {}. (#4.3.0)", errstr(e)))
}
pub fn run_sh(e: &io::Error) -> Fatal {
    temp(format!("Unable to run /bin/sh: {}. (#4.3.0)", errstr(e)))
}
pub fn crashed() -> Fatal {
    temp("Aack, child crashed. (#4.3.0)")
}
pub fn open_mbox(name: &[u8], e: &io::Error) -> Fatal {
    temp(format!(
        "Unable to open {}: {}. (#4.2.1)",
        show(name),
        errstr(e)
    ))
}
pub fn mbox_locked() -> Fatal {
    temp("File has been locked for 30 seconds straight. (#4.3.0)")
}
pub fn write_mbox(name: &[u8], e: &io::Error) -> Fatal {
    temp(format!(
        "Unable to write {}: {}. (#4.3.0)",
        show(name),
        errstr(e)
    ))
}
pub fn maildir_chdir() -> Fatal {
    temp("Unable to chdir to maildir. (#4.2.1)")
}
pub fn maildir_read() -> Fatal {
    temp("Unable to read message. (#4.3.0)")
}
pub fn maildir_temp() -> Fatal {
    temp("Temporary error on maildir delivery. (#4.3.0)")
}
/// `report` is qmail-queue's answer as the qmail client renders it: `D…` or `Z…`.
pub fn forward(report: &str) -> Fatal {
    let (permanent, text) = match report.as_bytes().first() {
        Some(b'D') => (true, report.get(1..).unwrap_or("")),
        Some(b'Z') => (false, report.get(1..).unwrap_or("")),
        _ => (false, report),
    };
    let text = format!("Unable to forward message: {text}.");
    if permanent {
        perm(text)
    } else {
        temp(text)
    }
}

/// Bytes from the envelope or a .qmail file shown in a report, lossily.
pub fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub use qmail_core::errstr::{errstr, is_temp};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_report_keeps_permanence() {
        let d = forward("Dqq permanent problem (#5.3.0)");
        assert_eq!(d.code, LocalExit::Perm.code());
        assert_eq!(
            d.line,
            b"Unable to forward message: qq permanent problem (#5.3.0)."
        );
        let z = forward("Zqq write error or disk full (#4.3.0)");
        assert_eq!(z.code, LocalExit::Temp.code());
        assert_eq!(
            z.line,
            b"Unable to forward message: qq write error or disk full (#4.3.0)."
        );
    }

    #[test]
    fn errstr_uses_qmail_words() {
        assert_eq!(
            errstr(&io::Error::from_raw_os_error(libc::ENOENT)),
            "file does not exist"
        );
        assert!(is_temp(&io::Error::from_raw_os_error(libc::ENOSPC)));
        assert!(!is_temp(&io::Error::from_raw_os_error(libc::EACCES)));
    }
}
