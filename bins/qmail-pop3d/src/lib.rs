//! qmail-pop3d: the transaction state of a POP3 session over a Maildir (qmail-pop3d(8)).
//! It runs as the mail's owner, started by a checkpassword program (itself
//! started by qmail-popup) with the home directory as working directory, and takes the
//! Maildir's name as its argument. Nothing is deleted before QUIT; at QUIT deleted
//! messages are unlinked and the others still in new/ move to cur/ as seen.
#![forbid(unsafe_code)]

pub mod maildir;

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Stdout, Write};
use std::os::unix::ffi::OsStrExt;

use qmail_net::timeoutio::Timed;
use qmail_pop3::blast;
use qmail_pop3::commands::{getline, split};
use qmail_pop3::TIMEOUT_SECS;

use qmail_pop3::state::{err, Mailbox, Step, OK};

/// Sessions end with 0, whatever happens once they have started.
const EXIT: u8 = 0;
/// notqmail: a root login would make the POP3 password a root password to guess.
const EXIT_ROOT: u8 = 1;

type Out = BufWriter<Timed<Stdout>>;

fn send(out: &mut Out, bytes: &[u8]) -> io::Result<()> {
    out.write_all(bytes)?;
    out.flush()
}

pub fn run() -> u8 {
    if nix::unistd::getuid().is_root() {
        let _ = writeln!(io::stderr(), "qmail-pop3d invoked as uid 0, terminating");
        return EXIT_ROOT;
    }
    let mut out = BufWriter::with_capacity(8192, Timed::new(std::io::stdout(), TIMEOUT_SECS));
    let entered = std::env::args_os()
        .nth(1)
        .is_some_and(|dir| std::env::set_current_dir(dir).is_ok());
    if !entered {
        let _ = send(&mut out, &err("this user has no $HOME/Maildir"));
        return EXIT;
    }
    let now = qmail_core::date822::now();
    maildir::clean(now);
    let Ok(msgs) = maildir::scan(now) else {
        let _ = send(&mut out, &err("unable to scan $HOME/Maildir"));
        return EXIT;
    };
    let mut mb = Mailbox::new(msgs);
    if send(&mut out, OK).is_err() {
        return EXIT;
    }
    let mut input = BufReader::with_capacity(1024, Timed::new(std::io::stdin(), TIMEOUT_SECS));
    let mut line = Vec::new();
    while let Ok(true) = getline(&mut input, &mut line) {
        let sent = match mb.on_command(split(&line)) {
            Step::Reply(bytes) => send(&mut out, &bytes),
            Step::Send { index, limit } => transfer(&mut out, &mb, index, limit),
            Step::Quit => {
                quit(&mut out, &mb);
                return EXIT;
            }
        };
        if sent.is_err() {
            break;
        }
    }
    EXIT
}

/// RETR/TOP: `+OK ` and the message, or why it cannot be opened.
fn transfer(out: &mut Out, mb: &Mailbox, index: usize, limit: u64) -> io::Result<()> {
    let Some(m) = mb.messages().get(index) else {
        return send(out, &err("unable to open that message"));
    };
    let Ok(f) = File::open(OsStr::from_bytes(&m.name)) else {
        return send(out, &err("unable to open that message"));
    };
    out.write_all(OK)?;
    blast::blast(&mut BufReader::with_capacity(64 * 1024, f), out, limit)?;
    out.flush()
}

/// Carry out the deletions; a message still in new/ has now been seen: cur/NAME:2,.
fn quit(out: &mut Out, mb: &Mailbox) {
    for m in mb.messages() {
        let name = OsStr::from_bytes(&m.name);
        if m.deleted {
            if std::fs::remove_file(name).is_err() {
                let _ = send(out, &err("unable to unlink all deleted messages"));
            }
        } else if m.is_new() {
            let mut seen = b"cur/".to_vec();
            seen.extend_from_slice(m.name.get(4..).unwrap_or_default());
            seen.extend_from_slice(b":2,");
            // A failed rename only means the message is listed as new again next time.
            let _ = std::fs::rename(name, OsStr::from_bytes(&seen));
        }
    }
    let _ = send(out, OK);
}
