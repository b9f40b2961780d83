//! qmail-inject [-nNaAhH] [-f sender] [recip ...]: read a message from a local client,
//! complete its header (qmail-rfc822's `inject`), and queue it through qmail-queue, or
//! print it with -n. The header is held in memory; the body is streamed.
#![forbid(unsafe_code)]

mod controls;

use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::ffi::OsStringExt;

use qmail_core::qmail::Qmail;
use qmail_rfc822::headerbody;
use qmail_rfc822::inject::{self, Fatal, Inject, Settings, Strategy};
use qmail_rfc822::sgetopt::{complaint, Getopt, Next};

const PROG: &str = "qmail-inject";
const BUF: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum InjectError {
    #[error("message or header problem")]
    Fatal(Fatal),
    #[error("usage")]
    Usage(Vec<u8>),
    #[error("internal bug")]
    Chdir,
    #[error("read error")]
    Read,
    #[error("unable to run qmail-queue")]
    QueueStart,
    /// qmail-queue's report: first byte D (permanent) or Z (temporary).
    #[error("qmail-queue said {0}")]
    Queue(String),
}

/// The complete text on fd 2 and the exit code.
impl From<InjectError> for qmail_core::fatal::Fatal {
    fn from(e: InjectError) -> qmail_core::fatal::Fatal {
        qmail_core::fatal::Fatal::verbatim(e.exit_code(), e.message())
    }
}

impl InjectError {
    pub fn exit_code(&self) -> u8 {
        match self {
            InjectError::Fatal(_) | InjectError::Usage(_) => 100,
            InjectError::Queue(t) if t.starts_with('D') => 100,
            _ => 111,
        }
    }

    /// The complete text for stderr.
    pub fn message(&self) -> Vec<u8> {
        let fatal = |s: &str| format!("{PROG}: fatal: {s}\n").into_bytes();
        match self {
            InjectError::Fatal(f) => f.message(),
            InjectError::Usage(m) => m.clone(),
            InjectError::Chdir => fatal("internal bug"),
            InjectError::Read => fatal("read error"),
            InjectError::QueueStart => fatal("unable to run qmail-queue"),
            InjectError::Queue(t) => fatal(t.get(1..).unwrap_or_default()),
        }
    }
}

impl From<Fatal> for InjectError {
    fn from(f: Fatal) -> InjectError {
        InjectError::Fatal(f)
    }
}

fn env(name: &str) -> Option<Vec<u8>> {
    std::env::var_os(name).map(OsString::into_vec)
}

/// Where the message goes: qmail-queue, or stdout with -n.
enum Out {
    Queue(Qmail),
    Print(io::BufWriter<io::Stdout>),
}

impl Out {
    fn put(&mut self, b: &[u8]) {
        match self {
            Out::Queue(q) => q.put(b),
            // like qmail-inject, a failing stdout does not change the exit code
            Out::Print(w) => {
                let _ = w.write_all(b);
            }
        }
    }
}

pub fn run() -> Result<(), InjectError> {
    let starttime = qmail_core::date822::now();
    let mft = controls::mft()?;
    std::env::set_current_dir(qmail_core::auto::QMAIL).map_err(|_| InjectError::Chdir)?;
    let ctl = controls::read()?;
    let set = Settings::new(&env, &ctl, mft, starttime, std::process::id())?;
    let mut inj = Inject::new(&set);

    let args: Vec<Vec<u8>> = std::env::args_os()
        .skip(1)
        .map(OsString::into_vec)
        .collect();
    let mut opts = Getopt::new(args, b"aAhHnNf:");
    let mut strategy = Strategy::Default;
    let mut queue = true;
    loop {
        match opts.step() {
            Next::Opt(b'a', _) => strategy = Strategy::Args,
            Next::Opt(b'A', _) => strategy = Strategy::Default,
            Next::Opt(b'h', _) => strategy = Strategy::Header,
            Next::Opt(b'H', _) => strategy = Strategy::Both,
            Next::Opt(b'n', _) => queue = false,
            Next::Opt(b'N', _) => queue = true,
            Next::Opt(b'f', Some(f)) => inj.sender_option(&f)?,
            Next::Opt(letter, _) => return Err(InjectError::Usage(complaint(PROG, letter, false))),
            Next::Bad {
                letter,
                missing_arg,
            } => return Err(InjectError::Usage(complaint(PROG, letter, missing_arg))),
            Next::Done => break,
        }
    }
    inj.recipients(strategy, opts.rest())?;

    let mut input = BufReader::with_capacity(BUF, io::stdin().lock());
    let start = inject::read_fields(&mut inj, &mut input).map_err(|_| InjectError::Read)??;
    let head = inj.finish(!queue)?;
    let mut out = if queue {
        Out::Queue(Qmail::open().map_err(|_| InjectError::QueueStart)?)
    } else {
        Out::Print(io::BufWriter::with_capacity(BUF, io::stdout()))
    };
    out.put(&head);
    out.put(&start.bytes());
    body(&mut input, start.last(), &mut out)?;
    finish(out, &inj)
}

fn body<R: BufRead>(input: &mut R, last: u8, out: &mut Out) -> Result<(), InjectError> {
    headerbody::copy_body(input, last, &mut |b| out.put(b)).map_err(|_| InjectError::Read)
}

fn finish(out: Out, inj: &Inject<'_>) -> Result<(), InjectError> {
    match out {
        Out::Print(mut w) => {
            let _ = w.flush();
            Ok(())
        }
        Out::Queue(mut q) => {
            let (sender, recipients) = inj.envelope();
            q.from(until_nul(&sender));
            for r in &recipients {
                q.to(until_nul(r));
            }
            q.close().map_err(InjectError::Queue)
        }
    }
}

/// An envelope address ends at a NUL byte, as the C string it is in qmail.
fn until_nul(a: &[u8]) -> &[u8] {
    a.split(|&c| c == 0).next().unwrap_or_default()
}
