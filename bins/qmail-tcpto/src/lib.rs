//! qmail-tcpto: print `queue/lock/tcpto`, one line per address with recent connect
//! timeouts: `A.B.C.D timed out S seconds ago; # recent timeouts: N`. Errors go to
//! stdout as `fatal: unable to …: reason` (qmail-tcpto(8)) with exit 111.
#![forbid(unsafe_code)]

use qmail_core::auto;
use qmail_core::errstr::errstr;
use qmail_core::fatal::Fatal;
use qmail_remote_core::tcpto::{self, OpenError};
use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

/// `fatal: unable to WHAT: reason` on fd 1, exit 111.
fn fail(what: &str, e: &io::Error) -> Fatal {
    Fatal::new(111, format!("fatal: unable to {what}: {}", errstr(e))).on_stdout()
}

/// The report lines for the records of `buf` at time `now`.
pub fn lines(buf: &[u8], now: u64) -> String {
    let mut s = String::new();
    for e in tcpto::entries(buf).iter().filter(|e| e.count >= 1) {
        s.push_str(&format!(
            "{} timed out {} seconds ago; # recent timeouts: {}\n",
            e.ip,
            now.wrapping_sub(u64::from(e.when)),
            e.count
        ));
    }
    s
}

pub fn run() -> Result<(), Fatal> {
    std::env::set_current_dir(auto::QMAIL).map_err(|e| fail("chdir", &e))?;
    let locked = tcpto::open_locked().map_err(|e| match e {
        OpenError::Open(e) => fail("open tcpto", &e),
        OpenError::Lock(e) => fail("lock tcpto", &e),
        OpenError::Read(e) | OpenError::Write(e) => fail("read tcpto", &e),
    })?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut out = io::stdout().lock();
    let _ = out.write_all(lines(&locked.buf, now).as_bytes());
    let _ = out.flush();
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn line_format() {
        let mut buf = vec![0u8; 1024];
        buf[16..32]
            .copy_from_slice(b"\xc0\x00\x02\x07\x03\x00\x00\x00\xe8\x03\x00\x00\x00\x00\x00\x00");
        buf[32..37].copy_from_slice(b"\x0a\x00\x00\x01\x00");
        assert_eq!(
            super::lines(&buf, 1100),
            "192.0.2.7 timed out 100 seconds ago; # recent timeouts: 3\n"
        );
    }
}
