//! qmail-lspawn's report for a finished qmail-local: the letter from the exit
//! code, then qmail-local's output up to its first NUL; the lspawn-child codes (QLX) have
//! fixed texts.
use qmail_core::exit::Qlx;
use qmail_spawn::Status;

pub fn report(status: Status, output: &[u8]) -> Vec<u8> {
    let code = match status {
        Status::Crashed => return b"Zqmail-local crashed.\n".to_vec(),
        Status::Exited(c) => c,
    };
    if let Some(text) = Qlx::report(code) {
        return text.as_bytes().to_vec();
    }
    let letter = match code {
        0 => b'K',
        111 | 71 | 74 | 75 => b'Z',
        _ => b'D',
    };
    let end = output.iter().position(|&b| b == 0).unwrap_or(output.len());
    let mut r = vec![letter];
    r.extend_from_slice(output.get(..end).unwrap_or(&[]));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping() {
        assert_eq!(report(Status::Exited(0), b"did 1+0+0\n"), b"Kdid 1+0+0\n");
        assert_eq!(report(Status::Exited(0), b""), b"K");
        assert_eq!(report(Status::Exited(111), b"temp\0junk"), b"Ztemp");
        for c in [71, 74, 75] {
            assert_eq!(report(Status::Exited(c), b"x"), b"Zx");
        }
        assert_eq!(report(Status::Exited(100), b"perm"), b"Dperm");
        assert_eq!(report(Status::Exited(101), b"bug"), b"Dbug");
        assert_eq!(report(Status::Exited(3), b""), b"D");
        assert_eq!(report(Status::Crashed, b"x"), b"Zqmail-local crashed.\n");
        assert_eq!(
            report(Status::Exited(117), b"x"),
            b"ZTrouble reading users/cdb in qmail-lspawn.\n"
        );
        assert_eq!(
            report(Status::Exited(126), b"x"),
            b"DUnable to run qmail-local.\n"
        );
        assert_eq!(
            report(Status::Exited(121), b"x"),
            b"ZUnable to run qmail-getpw.\n"
        );
        assert_eq!(
            report(Status::Exited(113), b""),
            b"ZNot allowed to perform deliveries as root.\n"
        );
    }
}
