//! The local time zone's offset from UTC, read from a TZif file (RFC 8536) without libc's
//! localtime: `TZ` unset → /etc/localtime; `TZ=:name` or `TZ=name` → that file when
//! absolute, else under /usr/share/zoneinfo; empty, unknown or unreadable → UTC.
//! The footer's POSIX rule is not interpreted: after the last transition the last
//! transition's type stays in effect (Debian's "fat" files list transitions to 2037).
use std::path::PathBuf;

const ZONEINFO: &str = "/usr/share/zoneinfo";
/// TZif files are a few KiB; anything larger is not read.
const MAX_TZIF: u64 = 1 << 20;

fn zone_file() -> Option<PathBuf> {
    let tz = match std::env::var_os("TZ") {
        None => return Some(PathBuf::from("/etc/localtime")),
        Some(v) => v,
    };
    let tz = tz.to_string_lossy().into_owned();
    let name = tz.strip_prefix(':').unwrap_or(&tz);
    if name.is_empty() || name.split('/').any(|p| p == "..") {
        return None;
    }
    if name.starts_with('/') {
        Some(PathBuf::from(name))
    } else {
        Some(PathBuf::from(ZONEINFO).join(name))
    }
}

/// Offset in seconds east of UTC at the instant `t`.
pub fn local_offset(t: i64) -> i64 {
    use std::io::Read;
    let Some(path) = zone_file() else { return 0 };
    let Ok(f) = std::fs::File::open(path) else {
        return 0;
    };
    let mut data = Vec::new();
    if f.take(MAX_TZIF).read_to_end(&mut data).is_err() {
        return 0;
    }
    offset_at(&data, t).unwrap_or(0)
}

fn be(data: &[u8], at: usize, n: usize) -> Option<i64> {
    let b = data.get(at..at.checked_add(n)?)?;
    let mut v: i64 = if b.first()? & 0x80 != 0 { -1 } else { 0 };
    for &x in b {
        v = (v << 8) | i64::from(x);
    }
    Some(v)
}

fn count(data: &[u8], hdr: usize, i: usize) -> Option<usize> {
    usize::try_from(be(
        data,
        hdr.checked_add(20)?.checked_add(i.checked_mul(4)?)?,
        4,
    )?)
    .ok()
}

/// One data block: (its length, the offset at t) for transitions of `tsize` bytes.
fn block(data: &[u8], hdr: usize, tsize: usize, t: i64) -> Option<(usize, i64)> {
    if data.get(hdr..hdr.checked_add(4)?)? != b"TZif" {
        return None;
    }
    let (isut, isstd, leap, time, types, chars) = (
        count(data, hdr, 0)?,
        count(data, hdr, 1)?,
        count(data, hdr, 2)?,
        count(data, hdr, 3)?,
        count(data, hdr, 4)?,
        count(data, hdr, 5)?,
    );
    let times = hdr.checked_add(44)?;
    let idx = times.checked_add(time.checked_mul(tsize)?)?;
    let ttinfo = idx.checked_add(time)?;
    let len = 44usize
        .checked_add(time.checked_mul(tsize + 1)?)?
        .checked_add(types.checked_mul(6)?)?
        .checked_add(chars)?
        .checked_add(leap.checked_mul(tsize + 4)?)?
        .checked_add(isstd)?
        .checked_add(isut)?;
    let mut ty = 0usize;
    for i in 0..time {
        let at = be(data, times.checked_add(i.checked_mul(tsize)?)?, tsize)?;
        if at > t {
            break;
        }
        ty = usize::from(*data.get(idx.checked_add(i)?)?);
    }
    if ty >= types {
        return None;
    }
    let off = be(data, ttinfo.checked_add(ty.checked_mul(6)?)?, 4)?;
    Some((len, off))
}

/// The offset at `t` from TZif bytes (the 64-bit block when there is one).
pub fn offset_at(data: &[u8], t: i64) -> Option<i64> {
    let (len1, off1) = block(data, 0, 4, t)?;
    if data.get(4).copied().unwrap_or(0) >= b'2' {
        if let Some((_, off2)) = block(data, len1, 8, t) {
            return Some(off2);
        }
    }
    Some(off1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tzdata is in tests/packages: a missing zone fails the test, never skips it.
    fn zone(name: &str) -> Vec<u8> {
        let p = PathBuf::from(ZONEINFO).join(name);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e} (install tzdata)", p.display()))
    }

    #[test]
    fn real_zones() {
        let d = zone("Europe/Berlin");
        assert_eq!(offset_at(&d, 1_704_067_200), Some(3600)); // 2024-01-01 winter
        assert_eq!(offset_at(&d, 1_719_792_000), Some(7200)); // 2024-07-01 summer
        let d = zone("America/New_York");
        assert_eq!(offset_at(&d, 1_704_067_200), Some(-5 * 3600));
        let d = zone("Asia/Kolkata");
        assert_eq!(offset_at(&d, 1_704_067_200), Some(19800));
        let d = zone("Etc/UTC");
        assert_eq!(offset_at(&d, 1_704_067_200), Some(0));
    }

    #[test]
    fn garbage_is_refused() {
        assert_eq!(offset_at(b"", 0), None);
        assert_eq!(offset_at(b"TZif2", 0), None);
        let mut d = b"TZif2".to_vec();
        d.resize(44, 0);
        d[20 + 16..20 + 20].copy_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        assert_eq!(offset_at(&d, 0), None);
    }
}
