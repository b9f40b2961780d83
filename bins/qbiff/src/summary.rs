//! What qbiff writes: a bell and `*** TO <LOCAL> FROM <SENDER>`, then one line with the
//! subject and the start of the body.
use std::io::{BufRead, Read};

/// The text line is at most this long, to fit an 80-column terminal.
pub const TEXT_LEN: usize = 78;
/// Header lines are read at most this far; the subject beyond it cannot show anyway.
const LINE_MAX: u64 = 4096;

fn printable(c: u8) -> bool {
    (32..=126).contains(&c)
}

/// Four spaces, the Subject field's contents (continuations included), then the body,
/// cut at 78 bytes; anything not printable (newlines too) shows as `/`.
pub fn text(r: &mut impl BufRead) -> Vec<u8> {
    let mut t = b"    ".to_vec();
    let mut in_subject = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        match r.by_ref().take(LINE_MAX).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return finish(t),
            Ok(_) => {}
        }
        if line == b"\n" {
            break;
        }
        let cont = matches!(line.first(), Some(b' ' | b'\t'));
        if cont {
            if in_subject {
                t.extend_from_slice(&line);
            }
            continue;
        }
        in_subject = false;
        if let Some(v) = subject_value(&line) {
            in_subject = true;
            t.extend_from_slice(v);
        }
    }
    if t.len() < TEXT_LEN {
        let want = TEXT_LEN.saturating_sub(t.len()) as u64;
        let _ = r.by_ref().take(want).read_to_end(&mut t);
    }
    finish(t)
}

fn subject_value(line: &[u8]) -> Option<&[u8]> {
    let colon = line.iter().position(|&c| c == b':')?;
    let name = line.get(..colon)?;
    let end = name.iter().rposition(|&c| c != b' ' && c != b'\t')? + 1;
    if !name.get(..end)?.eq_ignore_ascii_case(b"subject") {
        return None;
    }
    let v = line.get(colon + 1..)?;
    let skip = v
        .iter()
        .position(|&c| c != b' ' && c != b'\t')
        .unwrap_or(v.len());
    v.get(skip..)
}

fn finish(mut t: Vec<u8>) -> Vec<u8> {
    t.truncate(TEXT_LEN);
    for c in &mut t {
        if !printable(*c) {
            *c = b'/';
        }
    }
    t
}

/// The whole terminal note.
pub fn note(local: &[u8], sender: &[u8], text: &[u8]) -> Vec<u8> {
    let safe = |s: &[u8]| -> Vec<u8> {
        s.iter()
            .map(|&c| if printable(c) { c } else { b'_' })
            .collect()
    };
    let mut n = b"\r\n\x07*** TO <".to_vec();
    n.extend_from_slice(&safe(local));
    n.extend_from_slice(b"> FROM <");
    n.extend_from_slice(&safe(sender));
    n.extend_from_slice(b">\r\n");
    n.extend_from_slice(text);
    n.extend_from_slice(b"\r\n");
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_then_body() {
        let m = b"From: x\nSubject:  lunch\n at noon\nTo: y\n\nSee you there.\nBye\n";
        assert_eq!(text(&mut &m[..]), b"    lunch/ at noon/See you there./Bye/");
        let long = format!("Subject: {}\n\nbody\n", "s".repeat(100));
        let t = text(&mut long.as_bytes());
        assert_eq!(t.len(), TEXT_LEN);
        assert_eq!(t, format!("    {}", "s".repeat(74)).as_bytes());
        assert_eq!(text(&mut &b"To: y\n\n\x01body\r\n"[..]), b"    /body//");
        assert_eq!(text(&mut &b""[..]), b"    ");
    }

    #[test]
    fn the_note() {
        assert_eq!(
            note(b"joe-x", b"a\nb@c", b"    hi"),
            b"\r\n\x07*** TO <joe-x> FROM <a_b@c>\r\n    hi\r\n"
        );
    }
}
