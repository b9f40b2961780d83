//! Folding qmail-remote's reports into one. qmail-remote writes a report per
//! recipient (`r`, `h`, `s` then its text) and one for the message (K, Z or D); with one
//! recipient per run the result is the better-known of the two.
use qmail_spawn::Status;

fn cstr(s: &[u8]) -> &[u8] {
    let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
    s.get(..end).unwrap_or(&[])
}

pub fn report(status: Status, s: &[u8]) -> Vec<u8> {
    match status {
        Status::Crashed => return b"Zqmail-remote crashed.\n".to_vec(),
        Status::Exited(0) => {}
        Status::Exited(111) => return b"ZUnable to run qmail-remote.\n".to_vec(),
        Status::Exited(_) => return b"DUnable to run qmail-remote.\n".to_vec(),
    }
    if s.is_empty() {
        return b"Zqmail-remote produced no output.\n".to_vec();
    }
    // result: 1 K, 0 Z, -1 D; the first K/Z/D report decides, none means D.
    let mut result = -1i8;
    let mut j = 0usize;
    for (k, &b) in s.iter().enumerate() {
        if b == 0 {
            match s.get(j) {
                Some(b'K') => {
                    result = 1;
                    break;
                }
                Some(b'Z') => {
                    result = 0;
                    break;
                }
                Some(b'D') => break,
                _ => j = k + 1,
            }
        }
    }
    let orr = match s.first() {
        Some(b's') => 0,
        Some(b'h') => -1,
        _ => result,
    };
    let mut out = vec![match orr {
        1 => b'K',
        0 => b'Z',
        _ => b'D',
    }];
    let rest = s.get(1..).unwrap_or(&[]);
    if let Some(nul) = rest.iter().position(|&b| b == 0) {
        out.extend_from_slice(cstr(rest));
        let k = nul + 2; // index in `s` just past the first NUL
        if result <= orr {
            if let Some(b'Z' | b'D' | b'K') = s.get(k) {
                out.extend_from_slice(cstr(s.get(k + 1..).unwrap_or(&[])));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding() {
        let ok = b"r\0K1.2.3.4 accepted message.\nRemote host said: 250 ok\n\0";
        assert_eq!(
            report(Status::Exited(0), ok),
            b"K1.2.3.4 accepted message.\nRemote host said: 250 ok\n"
        );
        let hard = b"h1.2.3.4 does not like recipient.\nRemote host said: 550 no\n\0DGiving up on 1.2.3.4.\n\0";
        assert_eq!(
            report(Status::Exited(0), hard),
            b"D1.2.3.4 does not like recipient.\nRemote host said: 550 no\nGiving up on 1.2.3.4.\n"
        );
        let soft = b"s1.2.3.4 does not like recipient.\nRemote host said: 451 later\n\0DGiving up on 1.2.3.4.\n\0";
        // result D is no better than final Z: both texts.
        assert_eq!(
            report(Status::Exited(0), soft),
            b"Z1.2.3.4 does not like recipient.\nRemote host said: 451 later\nGiving up on 1.2.3.4.\n"
        );
        let conn = b"ZConnected to 1.2.3.4 but greeting failed.\n\0";
        assert_eq!(
            report(Status::Exited(0), conn),
            b"ZConnected to 1.2.3.4 but greeting failed.\n"
        );
        let k_then = b"r\0Kok\n\0";
        assert_eq!(report(Status::Exited(0), k_then), b"Kok\n");
        assert_eq!(
            report(Status::Exited(0), b""),
            b"Zqmail-remote produced no output.\n"
        );
        assert_eq!(
            report(Status::Exited(111), b"x"),
            b"ZUnable to run qmail-remote.\n"
        );
        assert_eq!(
            report(Status::Exited(100), b"x"),
            b"DUnable to run qmail-remote.\n"
        );
        assert_eq!(report(Status::Crashed, b"x"), b"Zqmail-remote crashed.\n");
        // No NUL at all: the letter alone.
        assert_eq!(report(Status::Exited(0), b"Kno nul"), b"D");
    }
}
