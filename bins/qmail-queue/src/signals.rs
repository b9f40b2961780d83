//! Signal dispositions of qmail-queue. A terminal's ^C must not abort a queueing; a day-old
//! qmail-queue dies with 52 leaving its files for the sweeper; a fault exits 81.
use nix::sys::signal::Signal;
use qmail_core::exit::QueueExit;
use qmail_sys::sig;

pub fn arm() -> std::io::Result<()> {
    for s in [
        Signal::SIGPIPE,
        Signal::SIGVTALRM,
        Signal::SIGPROF,
        Signal::SIGQUIT,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGXCPU,
        Signal::SIGXFSZ,
    ] {
        sig::ignore(s)?;
    }
    sig::catch_exit(Signal::SIGALRM, QueueExit::Timeout.code())?;
    // A panic aborts (panic = "abort"), which lands here too: a temporary failure.
    for s in [
        Signal::SIGILL,
        Signal::SIGABRT,
        Signal::SIGFPE,
        Signal::SIGBUS,
        Signal::SIGSEGV,
        Signal::SIGSYS,
    ] {
        sig::catch_exit(s, QueueExit::Bug.code())?;
    }
    Ok(())
}
