//! Signal dispositions. Handlers installed here only write a fixed message, call `_exit`
//! or store to an atomic; they never clean up, allocate or lock (qmail-queue's SIGALRM
//! path leaves its files for the sweeper).
use std::io;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, AtomicUsize, Ordering};

use nix::sys::signal::{self, SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal};

/// Exit code for each signal number whose handler is `catch_exit` (0 = not set).
static EXIT_CODE: [AtomicU8; 65] = [const { AtomicU8::new(0) }; 65];
/// Flags set by `catch_flag` handlers, read by the main loop.
static FLAG: [AtomicBool; 65] = [const { AtomicBool::new(false) }; 65];

/// The message `catch_exit_saying` writes to fd 2 before exiting: a `&'static [u8]` as
/// pointer and length (the length is stored last and read first).
static SAY_PTR: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
static SAY_LEN: AtomicUsize = AtomicUsize::new(0);

extern "C" fn exit_handler(sig: libc::c_int) {
    let code = usize::try_from(sig)
        .ok()
        .and_then(|i| EXIT_CODE.get(i))
        .map_or(111, |c| c.load(Ordering::Relaxed));
    crate::exit::exit_now(code)
}

extern "C" fn say_exit_handler(sig: libc::c_int) {
    let len = SAY_LEN.load(Ordering::Acquire);
    let ptr = SAY_PTR.load(Ordering::Acquire);
    if len > 0 && !ptr.is_null() {
        // SAFETY: ptr and len come from a &'static [u8] (catch_exit_saying stores the
        // pointer before the length), so the bytes stay valid; write is async-signal-safe.
        let _ = unsafe { libc::write(2, ptr.cast(), len) };
    }
    exit_handler(sig)
}

extern "C" fn flag_handler(sig: libc::c_int) {
    if let Some(f) = usize::try_from(sig).ok().and_then(|i| FLAG.get(i)) {
        f.store(true, Ordering::Relaxed);
    }
}

fn install(sig: Signal, handler: SigHandler) -> io::Result<()> {
    let act = SigAction::new(handler, SaFlags::empty(), SigSet::empty());
    // SAFETY: the handlers passed here are `exit_handler` and `flag_handler`, which only
    // read or store atomics and call _exit, all async-signal-safe; or SIG_IGN / SIG_DFL.
    unsafe { signal::sigaction(sig, &act) }.map_err(io::Error::from)?;
    Ok(())
}

/// On `sig`, exit at once with `code`.
pub fn catch_exit(sig: Signal, code: u8) -> io::Result<()> {
    if let Some(slot) = EXIT_CODE.get(sig as usize) {
        slot.store(code, Ordering::Relaxed);
    }
    install(sig, SigHandler::Handler(exit_handler))
}

/// On `sig`, write `text` to fd 2, then exit at once with `code` (notqmail's "Timeout on
/// maildir delivery"). One text for the process: a later call replaces it.
pub fn catch_exit_saying(sig: Signal, code: u8, text: &'static [u8]) -> io::Result<()> {
    if let Some(slot) = EXIT_CODE.get(sig as usize) {
        slot.store(code, Ordering::Relaxed);
    }
    SAY_LEN.store(0, Ordering::Release);
    SAY_PTR.store(text.as_ptr().cast_mut(), Ordering::Release);
    SAY_LEN.store(text.len(), Ordering::Release);
    let act = SigAction::new(
        SigHandler::Handler(say_exit_handler),
        SaFlags::empty(),
        SigSet::empty(),
    );
    // SAFETY: say_exit_handler only reads atomics, calls write(2) on a static buffer and
    // _exit, all async-signal-safe.
    unsafe { signal::sigaction(sig, &act) }.map_err(io::Error::from)?;
    Ok(())
}

/// On `sig`, set a flag that `take_flag` reads (and clears).
pub fn catch_flag(sig: Signal) -> io::Result<()> {
    install(sig, SigHandler::Handler(flag_handler))
}

/// Read and clear the flag of `sig`.
pub fn take_flag(sig: Signal) -> bool {
    FLAG.get(sig as usize)
        .is_some_and(|f| f.swap(false, Ordering::Relaxed))
}

pub fn ignore(sig: Signal) -> io::Result<()> {
    install(sig, SigHandler::SigIgn)
}

pub fn default(sig: Signal) -> io::Result<()> {
    install(sig, SigHandler::SigDfl)
}

/// Unblock every signal: a caller may have left some blocked.
pub fn block_none() -> io::Result<()> {
    signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None)
        .map_err(io::Error::from)
}

pub fn block(sig: Signal) -> io::Result<()> {
    let mut set = SigSet::empty();
    set.add(sig);
    signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None).map_err(io::Error::from)
}

/// Schedule SIGALRM in `secs` seconds (0 cancels).
pub fn alarm(secs: u32) {
    // nix's set() refuses 0; cancel() is the way to clear the timer.
    if secs == 0 {
        let _ = nix::unistd::alarm::cancel();
    } else {
        let _ = nix::unistd::alarm::set(secs);
    }
}
