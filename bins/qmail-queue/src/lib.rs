//! qmail-queue, step by step in the order of qmail-queue(8): the only setuid program of
//! qmail-rs. It trusts nothing from its caller but the bytes on fd 0 and fd 1 and its real
//! uid; it reads no environment variable and takes its home directory from the build.
#![forbid(unsafe_code)]

mod received;
mod signals;
mod uncommitted;

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};

use nix::sys::stat::{umask, Mode};
use qmail_core::exit::QueueExit;
use qmail_core::text0::{Envelope, Text0Error};
use qmail_core::{auto, date822};
use qmail_sys::fd;

use uncommitted::Uncommitted;

/// qmail-queue kills itself after a day ("DEATH"); qmail-send's sweeper waits 36 hours,
/// so it can never remove the files of a live qmail-queue.
pub const DEATH: u32 = 86400;

/// Copy buffer: large enough that a typical message takes one read and one write.
const BUF: usize = 64 * 1024;

pub fn run() -> Result<(), QueueExit> {
    qmail_sys::sig::block_none().map_err(|_| QueueExit::Bug)?;
    umask(Mode::from_bits_truncate(0o033));
    // Both protocol descriptors must be open before we create any file: otherwise a file
    // we open could land on fd 0 or 1 and be taken for the caller's pipe.
    let message = File::from(fd::take(0).map_err(|_| QueueExit::ReadErr)?);
    let envelope = File::from(fd::take(1).map_err(|_| QueueExit::ReadErr)?);
    std::env::set_current_dir(auto::QMAIL).map_err(|_| QueueExit::HomeDir)?;
    std::env::set_current_dir(qmail_core::queue::dirs::QUEUE).map_err(|_| QueueExit::QueueDir)?;

    let pid = std::process::id();
    let uid = nix::unistd::getuid().as_raw();
    let start = date822::now();
    let received = received::line(pid, uid, start);

    signals::arm().map_err(|_| QueueExit::Bug)?;
    qmail_sys::sig::alarm(DEATH);

    let mut q = Uncommitted::create(pid, start)?;
    // One read buffer for the message and then the envelope: a second 64 KiB allocation
    // made the heap grow and shrink again (brk calls) on every run.
    let mut buf = vec![0u8; BUF];
    copy_message(message, &received, &mut buf, &mut q)?;
    q.create_intd()?;
    copy_envelope(envelope, pid, uid, &mut buf, &mut q)?;
    q.commit()?;
    pull_trigger();
    Ok(())
}

/// The Received line, then fd 0 verbatim to its end, then fsync (which also makes the
/// mess/ link durable: see Uncommitted::sync_mess).
fn copy_message(
    mut input: File,
    received: &[u8],
    buf: &mut [u8],
    q: &mut Uncommitted,
) -> Result<(), QueueExit> {
    q.write_mess(received)?;
    loop {
        let n = match input.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(QueueExit::ReadErr),
        };
        q.write_mess(buf.get(..n).ok_or(QueueExit::Bug)?)?;
    }
    q.sync_mess()
}

/// `u<uid>\0p<pid>\0` and then the caller's envelope, checked record by record, without
/// its final NUL.
fn copy_envelope(
    mut input: File,
    pid: u32,
    uid: u32,
    buf: &mut [u8],
    q: &mut Uncommitted,
) -> Result<(), QueueExit> {
    // Sized for the common envelope (a sender and a few recipients); it grows for more.
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(&qmail_core::queue::records::todo_head(uid, pid));
    let mut env = Envelope::new();
    while !env.is_done() {
        let n = match input.read(buf) {
            // EOF before the final NUL: the caller cancelled (qmail_fail).
            Ok(0) => return Err(QueueExit::ReadErr),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(QueueExit::ReadErr),
        };
        let chunk = buf.get(..n).ok_or(QueueExit::Bug)?;
        if let Err(e) = env.push(chunk, &mut out) {
            // Format errors leave the files for the sweeper, as qmail does.
            q.abandon();
            return Err(match e {
                Text0Error::Format => QueueExit::Envelope,
                Text0Error::TooLong => QueueExit::AddrTooLong,
            });
        }
        if out.len() >= BUF {
            q.write_intd(&out)?;
            out.clear();
        }
    }
    q.write_intd(&out)
}

/// Wake qmail-send: one byte into lock/trigger. Every error is ignored (qmail-send may not
/// be running; it scans todo/ on start and every 25 minutes anyway).
fn pull_trigger() {
    if let Ok(mut t) = File::options()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(qmail_core::queue::dirs::TRIGGER)
    {
        if t.metadata()
            .map(|m| m.file_type().is_fifo())
            .unwrap_or(false)
        {
            let _ = t.write(&[0]);
        }
    }
}
