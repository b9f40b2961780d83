//! users/assign → the records of users/cdb (qmail-users(5)). Pure: no I/O.
//!
//! Keys are `!` + the lowercased address part; exact (`=`) keys end with a NUL so they can
//! never equal a wildcard (`+`) prefix key. Data is the six fields with their colons turned
//! into NULs, the last one dropped. The record with the empty key lists the last
//! characters of the wildcard prefixes, so qmail-lspawn only probes prefixes that can exist.

/// The file is not in users/assign format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadFormat;

/// A cdb record: key and data.
pub type Record = (Vec<u8>, Vec<u8>);

/// Fields after the address part: user, uid, gid, home, dash, ext.
const FIELDS: usize = 6;

/// One line (without its newline) → (key, data), and the wildcard's last character.
fn record(line: &[u8]) -> Result<(Record, Option<u8>), BadFormat> {
    if line.contains(&0) {
        return Err(BadFormat);
    }
    let colon = match memchr::memchr(b':', line) {
        Some(0) | None => return Err(BadFormat),
        Some(c) => c,
    };
    let wild = line.first() == Some(&b'+');
    let loc = line.get(1..colon).unwrap_or(b"");
    let mut key = Vec::with_capacity(loc.len().saturating_add(2));
    key.push(b'!');
    key.extend(loc.iter().map(u8::to_ascii_lowercase));
    if !wild {
        key.push(0);
    }
    let rest = line.get(colon.saturating_add(1)..).unwrap_or(b"");
    let mut data = Vec::with_capacity(rest.len());
    let mut seen = 0;
    for &b in rest {
        if b == b':' {
            seen += 1;
            if seen == FIELDS {
                break;
            }
            data.push(0);
        } else {
            data.push(b);
        }
    }
    if seen < FIELDS {
        return Err(BadFormat);
    }
    let wildchar = if wild { loc.last().copied() } else { None };
    Ok(((key, data), wildchar))
}

/// Every record of users/cdb in the order they are written, the wildchars record last.
pub fn records(text: &[u8]) -> Result<Vec<Record>, BadFormat> {
    let mut out = Vec::new();
    let mut wildchars = Vec::new();
    let mut rest = text;
    loop {
        let (line, terminated, next) = match memchr::memchr(b'\n', rest) {
            Some(p) => (
                rest.get(..p).unwrap_or(b""),
                true,
                rest.get(p.saturating_add(1)..).unwrap_or(b""),
            ),
            None => (rest, false, &b""[..]),
        };
        if line.first() == Some(&b'.') {
            break;
        }
        if !terminated {
            return Err(BadFormat);
        }
        let (rec, wildchar) = record(line)?;
        if let Some(c) = wildchar {
            if !wildchars.contains(&c) {
                wildchars.push(c);
            }
        }
        out.push(rec);
        rest = next;
    }
    out.push((Vec::new(), wildchars));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_wildcard_records() {
        let r = records(b"=Joe:joe:100:100:/home/joe:::\n+joe-:joe:100:100:/home/joe:-::\n.\n")
            .unwrap();
        assert_eq!(
            r,
            vec![
                (
                    b"!joe\0".to_vec(),
                    b"joe\x00100\x00100\0/home/joe\0\0".to_vec()
                ),
                (
                    b"!joe-".to_vec(),
                    b"joe\x00100\x00100\0/home/joe\0-\0".to_vec()
                ),
                (b"".to_vec(), b"-".to_vec()),
            ]
        );
    }

    #[test]
    fn anything_but_plus_is_exact_and_extra_fields_are_ignored() {
        let r = records(b"xab:u:1:2:/h:-:e:junk:more\n.").unwrap();
        assert_eq!(r[0], (b"!ab\0".to_vec(), b"u\x001\x002\0/h\0-\0e".to_vec()));
        assert_eq!(r[1], (Vec::new(), Vec::new()));
    }

    #[test]
    fn wildchars_are_distinct_in_order() {
        let r =
            records(b"+a-:u:1:1:/h:-::\n+b-:u:1:1:/h:-::\n+cx:u:1:1:/h:-::\n+:u:1:1:/h:-::\n.\n")
                .unwrap();
        assert_eq!(r.last().unwrap(), &(Vec::new(), b"-x".to_vec()));
        assert_eq!(r[3].0, b"!");
    }

    #[test]
    fn bad_formats() {
        assert_eq!(records(b"=a:b:1:1:/x:::\n"), Err(BadFormat), "no dot line");
        assert_eq!(records(b""), Err(BadFormat));
        assert_eq!(
            records(b"=broken line without enough colons:x\n.\n"),
            Err(BadFormat)
        );
        assert_eq!(
            records(b"=a:b:1:1:/x::\n.\n"),
            Err(BadFormat),
            "five fields"
        );
        assert_eq!(
            records(b":a:b:1:1:/x:::\n.\n"),
            Err(BadFormat),
            "colon first"
        );
        assert_eq!(records(b"=a\0:b:1:1:/x:::\n.\n"), Err(BadFormat), "NUL");
        assert_eq!(records(b"\n.\n"), Err(BadFormat), "empty line");
        assert_eq!(records(b"=a:b:1:1:/x:::"), Err(BadFormat), "unterminated");
        assert!(records(b".\nanything\0").is_ok());
        assert!(records(b"=a:b:1:1:/x:::\n.").is_ok());
    }
}
