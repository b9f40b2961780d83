//! The message header as qreceipt sees it: fields up to the first empty line (or the
//! first line that is neither a field nor a continuation), each with its continuation
//! lines and newlines.
use std::io::{self, BufRead, Read};

/// Lines longer than this are cut: a notice request is never that long, and a hostile
/// header must not grow memory without bound.
const MAX_FIELD: usize = 64 * 1024;

pub enum Field {
    MessageId,
    NoticeRequested,
}

/// `name:`, with optional spaces or tabs before the colon; the name has no controls.
fn name_len(line: &[u8]) -> Option<usize> {
    let colon = line.iter().position(|&c| c == b':')?;
    let name = line.get(..colon)?;
    let trimmed = name.iter().rposition(|&c| c != b' ' && c != b'\t')? + 1;
    let ok = name.get(..trimmed)?.iter().all(|&c| c > b' ' && c < 127);
    ok.then_some(colon)
}

pub fn known(f: &[u8]) -> Option<Field> {
    let colon = name_len(f)?;
    let name = f.get(..colon)?;
    let name = name
        .get(..name.iter().rposition(|&c| c != b' ' && c != b'\t')? + 1)?
        .to_ascii_lowercase();
    match name.as_slice() {
        b"message-id" => Some(Field::MessageId),
        b"notice-requested-upon-delivery-to" => Some(Field::NoticeRequested),
        _ => None,
    }
}

/// Everything after the colon.
pub fn value(f: &[u8]) -> &[u8] {
    name_len(f).and_then(|c| f.get(c + 1..)).unwrap_or_default()
}

fn getln(r: &mut impl BufRead, line: &mut Vec<u8>) -> io::Result<usize> {
    line.clear();
    let n = r.by_ref().take(MAX_FIELD as u64).read_until(b'\n', line)?;
    if n == MAX_FIELD && !line.ends_with(b"\n") {
        // Skip the rest of an overlong line.
        let mut sink = Vec::new();
        loop {
            sink.clear();
            let m = r
                .by_ref()
                .take(MAX_FIELD as u64)
                .read_until(b'\n', &mut sink)?;
            if m == 0 || sink.ends_with(b"\n") {
                break;
            }
        }
        line.push(b'\n');
    }
    Ok(n)
}

pub fn read(r: &mut impl BufRead) -> io::Result<Vec<Vec<u8>>> {
    let mut fields: Vec<Vec<u8>> = Vec::new();
    let mut line = Vec::new();
    loop {
        if getln(r, &mut line)? == 0 || line == b"\n" {
            return Ok(fields);
        }
        let cont = matches!(line.first(), Some(b' ' | b'\t'));
        match fields.last_mut() {
            Some(last) if cont => {
                if last.len().saturating_add(line.len()) <= MAX_FIELD {
                    last.extend_from_slice(&line);
                }
            }
            _ if name_len(&line).is_some() => fields.push(line.clone()),
            _ => return Ok(fields),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_continuations() {
        let h = b"Subject: a\n b\nMessage-ID : <x@y>\nnot a field\nTo: z\n";
        let f = read(&mut &h[..]).unwrap();
        assert_eq!(
            f,
            [
                b"Subject: a\n b\n".to_vec(),
                b"Message-ID : <x@y>\n".to_vec()
            ]
        );
        assert!(matches!(known(f.get(1).unwrap()), Some(Field::MessageId)));
        assert!(known(f.first().unwrap()).is_none());
        assert_eq!(value(f.get(1).unwrap()), b" <x@y>\n");
        let f = read(&mut &b"A: 1\n\nB: 2\n"[..]).unwrap();
        assert_eq!(f.len(), 1);
        assert!(matches!(
            known(b"NOTICE-requested-upon-delivery-to: x"),
            Some(Field::NoticeRequested)
        ));
    }
}
