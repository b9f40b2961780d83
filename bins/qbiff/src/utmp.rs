//! Reading the login records (utmp(5)) without libc's getutent: fixed 384-byte records
//! of the Linux/glibc layout, little-endian `ut_type` at offset 0.
pub const PATH: &str = "/var/run/utmp";
/// `ut_user` is 32 bytes; a longer USER cannot be logged in.
pub const NAME_LEN: usize = 32;

const RECORD: usize = 384;
const USER_PROCESS: i16 = 7;
const LINE: std::ops::Range<usize> = 8..40;
const USER: std::ops::Range<usize> = 44..76;

fn field(r: &[u8], range: std::ops::Range<usize>) -> &[u8] {
    let f = r.get(range).unwrap_or_default();
    let end = f.iter().position(|&c| c == 0).unwrap_or(f.len());
    f.get(..end).unwrap_or_default()
}

/// The tty names (relative to /dev) where `user` is logged in. Names that are empty,
/// absolute or contain a `.` are skipped: they could point outside /dev.
pub fn ttys(records: &[u8], user: &[u8]) -> Vec<Vec<u8>> {
    records
        .chunks_exact(RECORD)
        .filter(|r| {
            let t = r.get(..2).and_then(|b| <[u8; 2]>::try_from(b).ok());
            t.map(i16::from_le_bytes) == Some(USER_PROCESS)
        })
        .filter(|r| field(r, USER) == user)
        .map(|r| field(r, LINE).to_vec())
        .filter(|l| !l.is_empty() && !l.starts_with(b"/") && !l.contains(&b'.'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: i16, line: &[u8], user: &[u8]) -> Vec<u8> {
        let mut r = vec![0u8; RECORD];
        r[..2].copy_from_slice(&kind.to_le_bytes());
        r[8..8 + line.len()].copy_from_slice(line);
        r[44..44 + user.len()].copy_from_slice(user);
        r
    }

    #[test]
    fn picks_the_users_live_sessions() {
        let mut u = Vec::new();
        u.extend(record(7, b"pts/1", b"joe"));
        u.extend(record(8, b"pts/2", b"joe")); // DEAD_PROCESS
        u.extend(record(7, b"pts/3", b"ann"));
        u.extend(record(7, b"../etc/passwd", b"joe"));
        u.extend(record(7, b"/dev/tty1", b"joe"));
        u.extend(record(7, b"", b"joe"));
        u.extend(record(7, b"tty2", &[b'x'; 32]));
        u.extend(record(7, b"tty3", b"joe"));
        u.extend_from_slice(&[7, 0, 0]); // a torn last record is ignored
        assert_eq!(ttys(&u, b"joe"), [b"pts/1".to_vec(), b"tty3".to_vec()]);
        assert_eq!(ttys(&u, &[b'x'; 32]), [b"tty2".to_vec()]);
    }
}
