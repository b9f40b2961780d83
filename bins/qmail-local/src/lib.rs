//! qmail-local: deliver one message to one local recipient as that recipient, following
//! the user's `.qmail` file (qmail-local(8), dot-qmail(5)).
//!
//! Everything qmail-local prints goes to fd 1, the report pipe qmail-lspawn reads: one
//! error line and exit 100/111, or the `did F+W+P` line (and `qp N`) and exit 0.
#![forbid(unsafe_code)]

pub mod args;
pub mod die;
pub mod env;
pub mod forward;
pub mod maildir;
pub mod mbox;
pub mod message;
pub mod program;
pub mod search;

pub use qmail_local_core::dotqmail::{self, parse_line, Instruction};

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;

use nix::sys::stat::{umask, Mode};
use qmail_core::auto;

use crate::die::Fatal;
use crate::message::Message;

/// Write report bytes at once: a `|program` may write to the same pipe next.
fn say(parts: &[&[u8]]) {
    let mut out = std::io::stdout().lock();
    for p in parts {
        let _ = out.write_all(p);
    }
    let _ = out.write_all(b"\n");
    let _ = out.flush();
}

/// Warnings and failures go to stderr, as qmail's do: qmail-lspawn gives stdout and stderr
/// one pipe, and `-n` keeps stdout for the plan alone.
fn warn(parts: &[&[u8]]) {
    let mut err = std::io::stderr().lock();
    for p in parts {
        let _ = err.write_all(p);
    }
    let _ = err.write_all(b"\n");
    let _ = err.flush();
}

/// The whole run: a failure's line goes to fd 2 (`qmail_core::fatal::exit`).
pub fn run() -> Result<(), Fatal> {
    let (doit, a) = args::parse(std::env::args_os().skip(1))?;
    umask(Mode::from_bits_truncate(0o077));
    std::env::set_current_dir(OsStr::from_bytes(&a.home))
        .map_err(|e| die::chdir_home(&a.home, &e))?;
    let mode = std::fs::metadata(".")
        .map_err(|e| die::stat_home(&e))?
        .permissions()
        .mode();
    if mode & auto::PATRN != 0 {
        return Err(die::home_writable());
    }
    if mode & 0o1000 != 0 {
        if doit {
            return Err(die::home_sticky());
        }
        warn(&[b"Warning: home directory is sticky."]);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let dtline = env::dtline(&a);
    let mut msg = Message::stdin().map_err(|_| die::rewind())?;
    if doit {
        let r = msg.rewind()?;
        if message::has_dtline(r, &dtline).map_err(|e| die::read_message(&e))? {
            return Err(die::looping());
        }
    }
    let found = search::find(&a.dash, &a.ext)?;
    if found.is_none() && !a.dash.is_empty() {
        return Err(die::no_mailbox());
    }
    let newsender = search::newsender(&a)?;
    let default = found.as_ref().and_then(|f| f.default.clone());
    let (text, forward_only) = match found {
        Some(f) if !f.contents.is_empty() => (f.contents, f.forward_only),
        _ => (a.default_delivery.clone(), false),
    };
    let vars = env::vars(&a, now, default.as_deref(), &newsender);
    let d = Delivery {
        doit,
        dtline,
        rpline: env::rpline(&a.sender),
        ufline: env::ufline(&a.sender, now),
        vars,
    };
    let done = d.execute(&mut msg, &text, forward_only)?;
    let qp = if doit && !done.forwards.is_empty() {
        let r = msg.rewind()?;
        Some(forward::send(r, &d.dtline, &newsender, &done.forwards)?)
    } else {
        None
    };
    let line = format!(
        "did {}+{}+{}",
        done.files,
        done.forwards.len(),
        done.programs
    );
    say(&[line.as_bytes()]);
    if let Some(qp) = qp {
        say(&[format!("qp {qp}").as_bytes()]);
    }
    Ok(())
}

struct Delivery {
    doit: bool,
    dtline: Vec<u8>,
    rpline: Vec<u8>,
    ufline: Vec<u8>,
    vars: Vec<(&'static str, Vec<u8>)>,
}

#[derive(Default)]
struct Done {
    files: u32,
    programs: u32,
    forwards: Vec<Vec<u8>>,
}

impl Delivery {
    /// Run the file and program lines in order and collect the forwards. Any failure ends
    /// everything (the forwards are not sent); a program's exit 99 ends only the lines.
    fn execute(
        &self,
        msg: &mut Message,
        text: &[u8],
        mut forward_only: bool,
    ) -> Result<Done, Fatal> {
        let mut done = Done::default();
        for (i, line) in dotqmail::lines(text).enumerate() {
            match dotqmail::parse_line(line) {
                Instruction::Blank if i == 0 => return Err(die::first_line_blank()),
                Instruction::Blank | Instruction::Comment | Instruction::Ignored => {}
                Instruction::ForwardOnly => forward_only = true,
                Instruction::Maildir(path) => {
                    if forward_only {
                        return Err(die::file_but_x());
                    }
                    if self.doit {
                        let r = msg.rewind()?;
                        maildir::deliver(r, path, &self.rpline, &self.dtline, i)?;
                    } else {
                        say(&[b"maildir ", path]);
                    }
                    done.files = done.files.saturating_add(1);
                }
                Instruction::Mbox(path) => {
                    if forward_only {
                        return Err(die::file_but_x());
                    }
                    if self.doit {
                        let r = msg.rewind()?;
                        mbox::deliver(r, path, &self.ufline, &self.rpline, &self.dtline)?;
                    } else {
                        say(&[b"mbox ", path]);
                    }
                    done.files = done.files.saturating_add(1);
                }
                Instruction::Program(cmd) => {
                    if forward_only {
                        return Err(die::prog_but_x());
                    }
                    let outcome = if self.doit {
                        msg.rewind()?;
                        program::run(cmd, &self.vars)?
                    } else {
                        say(&[b"program ", cmd]);
                        program::Outcome::Next
                    };
                    done.programs = done.programs.saturating_add(1);
                    if outcome == program::Outcome::Stop {
                        break;
                    }
                }
                Instruction::Forward(addr) => {
                    if !self.doit {
                        say(&[b"forward ", addr]);
                    }
                    done.forwards.push(addr.to_vec());
                }
            }
        }
        Ok(done)
    }
}
