//! `_exit`: leave at once, running no destructors and no atexit handlers. Signal handlers
//! and forked children use it; ordinary paths return to `main` instead.

pub fn exit_now(code: u8) -> ! {
    // SAFETY: _exit takes any int and never returns; it touches no Rust state.
    unsafe { libc::_exit(libc::c_int::from(code)) }
}
