//! One screenful: the VT100 home-and-clear sequence, a title line, then per message its
//! From and Subject fields, each cut to one terminal line.
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;

/// Cursor home, then erase to the end of the screen.
pub const CLEAR: &[u8] = b"\x1b[;H\x1b[;J";
pub const MAX_SHOWN: usize = 20;
pub const HEADER_MAX: u64 = 32 * 1024;
pub const WIDTH: usize = 79;

fn printable(line: &[u8]) -> Vec<u8> {
    let mut v: Vec<u8> = line
        .iter()
        .filter(|&&c| c != b'\n')
        .map(|&c| if (32..=126).contains(&c) { c } else { b'?' })
        .collect();
    v.truncate(WIDTH);
    v
}

/// From and Subject lines (unfolded continuations are dropped) of one message.
fn fields(path: &PathBuf) -> (Vec<u8>, Vec<u8>) {
    let mut from = b"From: ?".to_vec();
    let mut subject = b"Subject: ".to_vec();
    let Ok(f) = File::open(path) else {
        return (from, subject);
    };
    let mut r = BufReader::new(f).take(HEADER_MAX);
    let mut line = Vec::new();
    loop {
        line.clear();
        match r.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if line == b"\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if lower.starts_with(b"from:") {
            from = printable(&line);
        } else if lower.starts_with(b"subject:") {
            subject = printable(&line);
        }
    }
    (from, subject)
}

pub fn render(host: &str, names: &[PathBuf]) -> Vec<u8> {
    let mut s = CLEAR.to_vec();
    let title = match names.len() {
        0 => format!("{host}: no new mail\n"),
        1 => format!("{host}: 1 new message\n"),
        n => format!("{host}: {n} new messages\n"),
    };
    s.extend_from_slice(&printable(title.as_bytes()));
    s.push(b'\n');
    for p in names.iter().take(MAX_SHOWN) {
        let (from, subject) = fields(p);
        s.push(b'\n');
        s.extend_from_slice(&from);
        s.push(b'\n');
        s.extend_from_slice(&subject);
        s.push(b'\n');
    }
    if let Some(more) = names.len().checked_sub(MAX_SHOWN).filter(|&m| m > 0) {
        s.extend_from_slice(format!("\n... and {more} more\n").as_bytes());
    }
    s
}
