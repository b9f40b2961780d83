//! Which account controls a local part: the users/cdb lookup qmail-lspawn makes and the
//! account-name rule of qmail-getpw (qmail-lspawn(8), qmail-getpw(8)). qmail-smtpd's recipient check
//! follows the same rules, so they have one home.
use crate::auto;
use crate::cdb::{Cdb, CdbError};

/// Account names of this length or longer are never tried (qmail's username buffer).
pub const NAME_MAX: usize = 32;

/// users/cdb: the exact key `!local\0` first, then the wildcard keys `!prefix` whose last
/// character is one of the wildchars (the data of key ""), longest first, down to `!`.
/// The local part is lowercased for the keys. A wildcard match gets the rest of `local`
/// (as given) appended to its data, which then ends in the six fields' final NUL.
pub fn lookup(cdb: &Cdb, local: &[u8]) -> Result<Option<Vec<u8>>, CdbError> {
    lookup_by(|k| cdb.find(k), local, || CdbError::Format(None))
}

/// [`lookup`] with any key-value store: `find` looks a key up, `no_wildchars` is the error
/// when the key "" is missing (the database is not a users/cdb).
pub fn lookup_by<E>(
    find: impl Fn(&[u8]) -> Result<Option<Vec<u8>>, E>,
    local: &[u8],
    no_wildchars: impl FnOnce() -> E,
) -> Result<Option<Vec<u8>>, E> {
    let Some(wildchars) = find(b"")? else {
        return Err(no_wildchars());
    };
    let mut lower = Vec::with_capacity(local.len().saturating_add(2));
    lower.push(b'!');
    lower.extend(local.iter().map(u8::to_ascii_lowercase));
    lower.push(0);
    let mut i = lower.len();
    let mut wild = false;
    while i > 0 {
        let last = lower.get(i.wrapping_sub(1)).copied().unwrap_or(0);
        if !wild || i == 1 || wildchars.contains(&last) {
            if let Some(mut data) = find(lower.get(..i).unwrap_or(&[]))? {
                if wild {
                    data.extend_from_slice(local.get(i.saturating_sub(1)..).unwrap_or(&[]));
                }
                data.push(0);
                return Ok(Some(data));
            }
        }
        i -= 1;
        wild = true;
    }
    Ok(None)
}

/// The break character (conf-break).
pub fn break_char() -> u8 {
    auto::BREAK.as_bytes().first().copied().unwrap_or(b'-')
}

/// qmail-getpw's candidate account-name lengths: the whole local part, then up to each
/// break character from the right. Names of NAME_MAX bytes or more are skipped.
pub fn account_prefixes(local: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let brk = break_char();
    std::iter::once(local.len())
        .chain(
            (0..local.len())
                .rev()
                .filter(move |&i| local.get(i) == Some(&brk)),
        )
        .filter(|&len| len < NAME_MAX)
}

#[derive(Debug, PartialEq, Eq)]
pub struct User {
    pub user: Vec<u8>,
    pub uid: u32,
    pub gid: u32,
    pub home: Vec<u8>,
    pub dash: Vec<u8>,
    pub ext: Vec<u8>,
}

/// qmail-getpw's answer or a users/cdb record: the six NUL-terminated fields
/// `user uid gid home dash ext`.
pub fn parse(data: &[u8]) -> Option<User> {
    let mut f = data.split(|&b| b == 0);
    let mut field = || f.next().map(<[u8]>::to_vec);
    let (Some(user), Some(uid), Some(gid), Some(home), Some(dash), Some(ext)) =
        (field(), field(), field(), field(), field(), field())
    else {
        return None;
    };
    // Six terminators: the split yields a seventh (possibly empty) piece.
    if data.iter().filter(|&&b| b == 0).count() < 6 {
        return None;
    }
    Some(User {
        user,
        uid: scan(&uid),
        gid: scan(&gid),
        home,
        dash,
        ext,
    })
}

/// Leading decimal digits, like scan_ulong (an empty field is 0).
fn scan(s: &[u8]) -> u32 {
    let mut n: u32 = 0;
    for &b in s.iter().take_while(|b| b.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add(u32::from(b - b'0'));
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        let v: Vec<usize> = account_prefixes(b"a-b-c").collect();
        assert_eq!(v, vec![5, 3, 1]);
        let long = [b'x'; 40];
        let v: Vec<usize> = account_prefixes(&long).collect();
        assert!(v.is_empty());
    }
}
