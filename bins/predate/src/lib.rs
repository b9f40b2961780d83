//! predate child [arg ...]: run `child` with a `Date:` field in local time (the offset
//! from UTC taken from the time zone in effect) written before predate's standard input,
//! and exit with the child's exit code.
#![forbid(unsafe_code)]

pub mod tz;

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::{Command, Stdio};

use qmail_core::child::feed;

#[derive(Debug, thiserror::Error)]
pub enum PredateError {
    #[error("predate: usage: predate child")]
    Usage,
    #[error("predate: fatal: unable to run {0}: {1}")]
    Run(String, String),
    #[error("predate: fatal: wait failed: {0}")]
    Wait(String),
    #[error("predate: fatal: child crashed")]
    Crashed,
}

impl From<PredateError> for qmail_core::fatal::Fatal {
    fn from(e: PredateError) -> qmail_core::fatal::Fatal {
        let code = match e {
            PredateError::Usage => 100,
            _ => 111,
        };
        qmail_core::fatal::Fatal::new(code, e.to_string())
    }
}

/// qmail's words for an error.
pub use qmail_core::errstr::errstr as reason;

/// `Date: 6 Sep 1995 21:46:54 -0700` for the instant `now` at `offset` seconds from UTC.
pub fn date_line(now: i64, offset: i64) -> String {
    let local = qmail_core::date822::tai_to_utc(now.saturating_add(offset));
    let mon = qmail_core::date822::month_name(local.month);
    let (sign, diff) = if offset < 0 {
        ('-', -offset)
    } else {
        ('+', offset)
    };
    let minutes = diff.saturating_add(30) / 60;
    format!(
        "Date: {} {} {} {:02}:{:02}:{:02} {}{:02}{:02}\n",
        local.day,
        mon,
        local.year,
        local.hour,
        local.min,
        local.sec,
        sign,
        minutes / 60,
        minutes % 60
    )
}

pub fn run() -> Result<u8, PredateError> {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let (child, rest) = args.split_first().ok_or(PredateError::Usage)?;
    let name = child.to_string_lossy().into_owned();
    let now = qmail_core::date822::now();
    let line = date_line(now, tz::local_offset(now));
    let mut proc = Command::new(child)
        .args(rest)
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| PredateError::Run(name, reason(&e)))?;
    if let Some(mut pipe) = proc.stdin.take() {
        // A child that stops reading early is its own business: its exit code decides.
        if pipe.write_all(line.as_bytes()).is_ok() {
            let _ = feed(&mut io::stdin().lock(), &mut pipe);
        }
    }
    let status = proc.wait().map_err(|e| PredateError::Wait(reason(&e)))?;
    match status.code() {
        Some(c) => Ok(u8::try_from(c).unwrap_or(111)),
        None => Err(PredateError::Crashed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(date_line(810362814, 0), "Date: 6 Sep 1995 04:46:54 +0000\n");
        assert_eq!(
            date_line(810362814, -7 * 3600),
            "Date: 5 Sep 1995 21:46:54 -0700\n"
        );
        assert_eq!(
            date_line(810362814, 5 * 3600 + 1800),
            "Date: 6 Sep 1995 10:16:54 +0530\n"
        );
        assert_eq!(date_line(0, 3600 + 59), "Date: 1 Jan 1970 01:00:59 +0101\n");
    }

    #[test]
    fn reasons() {
        let e = io::Error::from_raw_os_error(2);
        assert_eq!(reason(&e), "file does not exist");
    }
}
