//! sendmail [flags] [recip ...]: the interface mail clients expect, mapped onto qmail.
//! It never returns on success: it becomes bin/qmail-inject (or bin/qmail-qread for
//! `-bp`/`mailq`, bin/qmail-smtpd for `-bs`), run from the qmail home.
//!
//! Flags: `-t` (header recipients too) → qmail-inject -H, else -a; `-f`/`-r sender`;
//! `-F name`; `-bm` (default), `-bp`, `-bs`; ignored: `-i -v -x -m -e X -o X -p X -B X
//! -N X` and `-E`/`-J` with an attached value. Anything else is a usage error that names
//! the flag. `-r` and `-N` are qmail-rs additions (sendmail 8 and Postfix accept them;
//! qmail 1.03 does not).
#![forbid(unsafe_code)]

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::CommandExt;
use std::process::Command;

use qmail_rfc822::sgetopt::{complaint, Getopt, Next};

const USAGE: &[u8] =
    b"sendmail: usage: sendmail [ -t ] [ -fsender ] [ -Fname ] [ -bp ] [ -bs ] [ arg ... ]\n";

/// Why sendmail did not become another program.
#[derive(Debug)]
pub enum SendmailError {
    Chdir,
    /// The complaint naming the flag (may be empty) and the usage line.
    Usage(Vec<u8>),
    NewAliases,
    Exec(&'static str),
}

/// sendmail's `run` returns only on failure: the complete text on fd 2 and the exit code.
impl qmail_core::fatal::Outcome for SendmailError {
    fn finish(self) -> u8 {
        qmail_core::fatal::Fatal::verbatim(self.exit_code(), self.message()).report()
    }
}

impl SendmailError {
    pub fn exit_code(&self) -> u8 {
        match self {
            SendmailError::Usage(_) | SendmailError::NewAliases => 100,
            SendmailError::Chdir | SendmailError::Exec(_) => 111,
        }
    }

    pub fn message(&self) -> Vec<u8> {
        match self {
            SendmailError::Chdir => {
                b"sendmail: fatal: unable to switch to qmail home directory\n".to_vec()
            }
            SendmailError::Usage(c) => [c.as_slice(), USAGE].concat(),
            SendmailError::NewAliases => {
                b"sendmail: fatal: please use fastforward/newaliases instead\n".to_vec()
            }
            SendmailError::Exec(p) => format!("sendmail: fatal: unable to run {p}\n").into_bytes(),
        }
    }
}

fn exec(cmd: &mut Command, name: &'static str) -> SendmailError {
    let _ = cmd.exec();
    SendmailError::Exec(name)
}

fn mailq() -> SendmailError {
    exec(&mut Command::new("bin/qmail-qread"), "qmail-qread")
}

fn smtpd() -> SendmailError {
    let mut cmd = Command::new("bin/qmail-smtpd");
    if std::env::var_os("PROTO").is_none() {
        cmd.envs([
            ("RELAYCLIENT", ""),
            ("DATABYTES", "0"),
            ("PROTO", "TCP"),
            ("TCPLOCALIP", "127.0.0.1"),
            ("TCPLOCALHOST", "localhost"),
            ("TCPREMOTEIP", "127.0.0.1"),
            ("TCPREMOTEHOST", "localhost"),
            ("TCPREMOTEINFO", "sendmail-bs"),
        ]);
    }
    exec(&mut cmd, "qmail-smtpd")
}

/// The From/envelope identity for `-f sender`: QMAILUSER (and QMAILHOST when the address
/// has an `@`), after dropping the name and host variables, so From matches the sender.
fn sender_env(cmd: &mut Command, s: &[u8]) {
    for v in ["QMAILNAME", "MAILNAME", "NAME", "QMAILHOST", "MAILHOST"] {
        cmd.env_remove(v);
    }
    let s = s.split(|&c| c == 0).next().unwrap_or_default();
    match s.iter().rposition(|&c| c == b'@') {
        None => {
            cmd.env("QMAILUSER", OsStr::from_bytes(s));
        }
        Some(a) => {
            let (user, host) = s.split_at(a);
            cmd.env(
                "QMAILHOST",
                OsStr::from_bytes(host.get(1..).unwrap_or_default()),
            );
            cmd.env("QMAILUSER", OsStr::from_bytes(user));
        }
    }
}

/// Run as sendmail, mailq or newaliases; returns only on failure.
pub fn run() -> SendmailError {
    if std::env::set_current_dir(qmail_core::auto::QMAIL).is_err() {
        return SendmailError::Chdir;
    }
    let mut argv = std::env::args_os().map(OsString::into_vec);
    let argv0 = argv.next().unwrap_or_default();
    let prog = argv0
        .rsplit(|&c| c == b'/')
        .next()
        .unwrap_or_default()
        .to_vec();
    let mut g = Getopt::new(argv.collect(), b"vimte:f:p:o:B:F:EJxb:r:N:");
    let mut header = false;
    let mut sender: Option<Vec<u8>> = None;
    let mut name: Option<Vec<u8>> = None;
    let shown = String::from_utf8_lossy(&prog).into_owned();
    loop {
        match g.step() {
            Next::Opt(b't', _) => header = true,
            Next::Opt(b'f' | b'r', a) => sender = a,
            Next::Opt(b'F', a) => name = a,
            Next::Opt(b'E' | b'J', _) => g.skip_word_rest(),
            Next::Opt(b'b', a) => match a.as_deref().and_then(<[u8]>::first) {
                Some(b'm') => {}
                Some(b'p') => return mailq(),
                Some(b's') => return smtpd(),
                _ => {
                    let mut m = b"sendmail: unsupported mode -b".to_vec();
                    m.extend(a.unwrap_or_default());
                    m.push(b'\n');
                    return SendmailError::Usage(m);
                }
            },
            // -B -e -i -m -N -o -p -v -x: nothing to do in qmail
            Next::Opt(_, _) => {}
            Next::Bad {
                letter,
                missing_arg,
            } => return SendmailError::Usage(complaint(&shown, letter, missing_arg)),
            Next::Done => break,
        }
    }
    if prog == b"mailq" {
        return mailq();
    }
    if prog == b"newaliases" {
        return SendmailError::NewAliases;
    }
    let mut cmd = Command::new("bin/qmail-inject");
    cmd.arg0("bin/qmail-inject");
    if let Some(n) = name {
        cmd.env("MAILNAME", OsStr::from_bytes(&n));
    }
    cmd.arg(if header { "-H" } else { "-a" });
    if let Some(s) = &sender {
        cmd.arg("-f").arg(OsStr::from_bytes(s));
        sender_env(&mut cmd, s);
    }
    cmd.arg("--");
    cmd.args(g.rest().iter().map(|a| OsStr::from_bytes(a)));
    exec(&mut cmd, "qmail-inject")
}
