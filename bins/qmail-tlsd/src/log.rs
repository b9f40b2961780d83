//! The log: one line per event on fd 2 (tcpserver's log), `qmail-tlsd: pid N: …`.
use std::io::Write;

pub fn line(text: &str) {
    let l = format!("qmail-tlsd: pid {}: {text}\n", std::process::id());
    let _ = std::io::stderr().lock().write_all(l.as_bytes());
}

/// The client's address as tcpserver gives it, for log lines.
pub fn peer() -> String {
    std::env::var("TCPREMOTEIP").unwrap_or_else(|_| "unknown".into())
}
