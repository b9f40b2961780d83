//! `queue/lock/tcpto`: which IP addresses recently timed out on connect (qmail-tcpto(5)).
//!
//! The first 1024 bytes are qmail's table, IPv4 only: 64 records of 16 bytes, bytes 0–3
//! the address, byte 4 the number of recent timeouts (0 = free, at most 10), bytes 8–11
//! the time of the last timeout (low 32 bits of Unix time, little-endian); the rest is
//! zero. IPv6 addresses do not fit there, so they get a table of their own after it:
//! 64 records of 32 bytes from byte 1024, bytes 0–15 the address, byte 16 the count,
//! bytes 20–23 the time. qmail's programs read and clear only the first 1024 bytes, so
//! an old file and old tools keep working; the IPv6 table appears when qmail-remote
//! first writes to it (a short file holds fewer records). Readers and writers hold an
//! exclusive `flock` on a write descriptor; qmail-rspawn and qmail-tcpok clear the file.
//!
//! Only connect *timeouts* count: a refused connection or a success resets the count.
//! An address with two or more recent timeouts is skipped for `(60 + (pid & 31)) << 6`
//! seconds (64 to 97 minutes; the pid spreads the retries of many qmail-remotes).
use nix::fcntl::{Flock, FlockArg};
use std::fs::File;
use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::{FileExt, OpenOptionsExt};

pub const PATH: &str = "queue/lock/tcpto";
pub const RECORD: usize = 16;
pub const RECORDS: usize = 64;
/// The IPv4 table: qmail's whole file.
pub const SIZE: usize = RECORD * RECORDS;
pub const RECORD6: usize = 32;
/// The IPv6 table, after the IPv4 one.
pub const SIZE6: usize = RECORD6 * RECORDS;
/// Both tables: what qmail-tcpok and qmail-rspawn clear.
pub const TOTAL: usize = SIZE + SIZE6;
pub const COUNT_MAX: u8 = 10;
/// A second timeout within this many seconds of the last one is not counted again.
const RECOUNT_AFTER: u64 = 120;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub ip: IpAddr,
    pub count: u8,
    pub when: u32,
}

/// Where one family's table is: its first byte, its record size, its address size.
/// In a record the count follows the address, and the time comes 4 bytes later.
#[derive(Clone, Copy)]
struct Table {
    base: usize,
    record: usize,
    addr: usize,
}

const V4: Table = Table {
    base: 0,
    record: RECORD,
    addr: 4,
};
const V6: Table = Table {
    base: SIZE,
    record: RECORD6,
    addr: 16,
};

fn table(ip: IpAddr) -> Table {
    match ip {
        IpAddr::V4(_) => V4,
        IpAddr::V6(_) => V6,
    }
}

impl Table {
    /// The whole records of this table in `buf` (a short file gives fewer than 64).
    fn records<'a>(&self, buf: &'a [u8]) -> impl Iterator<Item = &'a [u8]> {
        let end = self
            .base
            .saturating_add(self.record.saturating_mul(RECORDS));
        let part = buf.get(self.base..end.min(buf.len())).unwrap_or_default();
        part.chunks_exact(self.record)
    }

    fn entry(&self, rec: &[u8]) -> Option<Entry> {
        let addr = rec.get(..self.addr)?;
        let ip = if self.addr == 4 {
            IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(addr).ok()?))
        } else {
            IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(addr).ok()?))
        };
        let when_at = self.addr.checked_add(4)?;
        let when = rec.get(when_at..when_at.checked_add(4)?)?;
        Some(Entry {
            ip,
            count: *rec.get(self.addr)?,
            when: u32::from_le_bytes(<[u8; 4]>::try_from(when).ok()?),
        })
    }

    fn record(&self, e: &Entry) -> Vec<u8> {
        let mut r = vec![0u8; self.record];
        let addr = match e.ip {
            IpAddr::V4(a) => a.octets().to_vec(),
            IpAddr::V6(a) => a.octets().to_vec(),
        };
        for (dst, src) in r.iter_mut().zip(
            addr.iter()
                .chain([e.count, 0, 0, 0].iter())
                .chain(e.when.to_le_bytes().iter()),
        ) {
            *dst = *src;
        }
        r
    }

    fn entries(&self, buf: &[u8]) -> Vec<Entry> {
        self.records(buf).filter_map(|r| self.entry(r)).collect()
    }
}

/// The whole records in `buf`: the IPv4 table, then the IPv6 table.
pub fn entries(buf: &[u8]) -> Vec<Entry> {
    let mut list = V4.entries(buf);
    list.extend(V6.entries(buf));
    list
}

/// How long this process skips an address with 2+ recent timeouts.
pub fn skip_period(pid: u32) -> u64 {
    (60 + u64::from(pid & 31)) << 6
}

/// Should the connect to `ip` be skipped?
pub fn skip(buf: &[u8], ip: IpAddr, now: u64, pid: u32) -> bool {
    table(ip).entries(buf).iter().any(|e| {
        e.ip == ip
            && e.count >= 2
            && (now as i64).wrapping_sub(i64::from(e.when)) < skip_period(pid) as i64
    })
}

/// The record to write (byte offset in the file, bytes) after a connect attempt to
/// `ip`, if any.
pub fn update(buf: &[u8], ip: IpAddr, timeout: bool, now: u64) -> Option<(usize, Vec<u8>)> {
    let t = table(ip);
    // Every slot of the table, present in the file or not (a short file grows).
    let mut list = t.entries(buf);
    list.resize(
        RECORDS,
        Entry {
            ip: match ip {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            },
            count: 0,
            when: 0,
        },
    );
    let at = |i: usize| t.base.checked_add(i.checked_mul(t.record)?);
    let found = list.iter().position(|e| e.ip == ip && e.count > 0);
    let now32 = now as u32;
    if !timeout {
        let i = found?;
        let mut e = *list.get(i)?;
        e.count = 0;
        return Some((at(i)?, t.record(&e)));
    }
    if let Some(i) = found {
        let mut e = *list.get(i)?;
        if now.wrapping_sub(u64::from(e.when)) < RECOUNT_AFTER {
            return None;
        }
        e.count = e.count.saturating_add(1).min(COUNT_MAX);
        e.when = now32;
        return Some((at(i)?, t.record(&e)));
    }
    let slot = list.iter().position(|e| e.count == 0).or_else(|| {
        // Evict the record that is oldest once its count is weighed in.
        list.iter()
            .enumerate()
            .min_by_key(|(_, e)| u64::from(e.when) + (u64::from(e.count) << 10))
            .map(|(i, _)| i)
    })?;
    Some((
        at(slot)?,
        t.record(&Entry {
            ip,
            count: 1,
            when: now32,
        }),
    ))
}

/// The file, opened for writing (the lock descriptor) and locked, and its contents read
/// through a second, read-only descriptor. Failures say which step failed.
#[derive(Debug)]
pub enum OpenError {
    Open(io::Error),
    Lock(io::Error),
    Read(io::Error),
    Write(io::Error),
}

pub struct Locked {
    lock: Flock<File>,
    pub buf: Vec<u8>,
}

fn open_write(path: &str) -> Result<File, OpenError> {
    File::options()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(OpenError::Open)
}

fn lock(f: File) -> Result<Flock<File>, OpenError> {
    Flock::lock(f, FlockArg::LockExclusive).map_err(|(_, e)| OpenError::Lock(io::Error::from(e)))
}

/// Overwrite `path` (the tcpto file) with zeroes under the lock: qmail-tcpok, and
/// qmail-rspawn at start-up.
pub fn clear(path: &str) -> Result<(), OpenError> {
    let l = lock(open_write(path)?)?;
    l.write_all_at(&[0u8; TOTAL], 0).map_err(OpenError::Write)
}

pub fn open_locked() -> Result<Locked, OpenError> {
    let wr = open_write(PATH)?;
    let mut rd = File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(PATH)
        .map_err(OpenError::Open)?;
    let lock = lock(wr)?;
    let mut buf = Vec::with_capacity(TOTAL);
    (&mut rd)
        .take(TOTAL as u64)
        .read_to_end(&mut buf)
        .map_err(OpenError::Read)?;
    Ok(Locked { lock, buf })
}

impl Locked {
    /// Write `rec` at byte `offset` (as `update` gives them).
    pub fn write_record(&self, offset: usize, rec: &[u8]) -> io::Result<()> {
        self.lock.write_all_at(rec, offset as u64)
    }
}

/// qmail-remote's check before a connect; any trouble with the file means "try it".
pub fn is_timing_out(ip: IpAddr, now: u64, pid: u32) -> bool {
    open_locked().is_ok_and(|l| skip(&l.buf, ip, now, pid))
}

/// qmail-remote's record of a connect result; write errors are ignored.
pub fn record_result(ip: IpAddr, timeout: bool, now: u64) {
    if let Ok(l) = open_locked() {
        if let Some((i, rec)) = update(&l.buf, ip, timeout, now) {
            let _ = l.write_record(i, &rec);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));

    fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    }

    fn apply(buf: &mut Vec<u8>, u: Option<(usize, Vec<u8>)>) {
        if let Some((at, r)) = u {
            if buf.len() < at + r.len() {
                buf.resize(at + r.len(), 0);
            }
            buf[at..at + r.len()].copy_from_slice(&r);
        }
    }

    #[test]
    fn record_layout() {
        let mut buf = vec![0u8; SIZE];
        let u = update(&buf, IP, true, 0x0102_0304);
        apply(&mut buf, u);
        assert_eq!(
            &buf[..16],
            b"\xc0\x00\x02\x01\x01\x00\x00\x00\x04\x03\x02\x01\x00\x00\x00\x00"
        );
        assert_eq!(buf.len(), SIZE);
    }

    #[test]
    fn ipv6_records_follow_the_ipv4_table() {
        // qmail's 1024-byte file: the first IPv6 timeout lands at byte 1024.
        let mut buf = vec![0u8; SIZE];
        let ip6: IpAddr = "2001:db8::25".parse().unwrap();
        let u = update(&buf, ip6, true, 0x0102_0304);
        assert_eq!(u.as_ref().unwrap().0, SIZE);
        apply(&mut buf, u);
        assert_eq!(buf.len(), SIZE + RECORD6);
        assert_eq!(
            &buf[SIZE..],
            b"\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\x00\x25\x01\0\0\0\x04\x03\x02\x01\0\0\0\0\0\0\0\0"
        );
        // The IPv4 table is untouched, and an IPv4 address never matches an IPv6 record.
        assert!(buf[..SIZE].iter().all(|&b| b == 0));
        let t = 0x0102_0304 + 200;
        let u = update(&buf, ip6, true, t);
        apply(&mut buf, u);
        assert!(skip(&buf, ip6, t, 0));
        assert!(!skip(&buf, v4(0x20, 1, 0x0d, 0xb8), t, 0));
        assert_eq!(
            entries(&buf)
                .into_iter()
                .filter(|e| e.count > 0)
                .collect::<Vec<_>>(),
            vec![Entry {
                ip: ip6,
                count: 2,
                when: t as u32
            }]
        );
        // A second address takes the next record; success clears the first.
        let other: IpAddr = "2001:db8::26".parse().unwrap();
        let u = update(&buf, other, true, t);
        assert_eq!(u.as_ref().unwrap().0, SIZE + RECORD6);
        apply(&mut buf, u);
        let u = update(&buf, ip6, false, t + 1);
        apply(&mut buf, u);
        assert!(!skip(&buf, ip6, t + 1, 0));
        assert_eq!(buf[SIZE + 16], 0);
    }

    #[test]
    fn two_timeouts_skip_until_the_period_ends() {
        let mut buf = vec![0u8; SIZE];
        let t = 1_800_000_000u64;
        let u = update(&buf, IP, true, t);
        apply(&mut buf, u);
        assert!(!skip(&buf, IP, t, 0));
        // A second timeout within 120 s is not counted.
        assert_eq!(update(&buf, IP, true, t + 119), None);
        let u = update(&buf, IP, true, t + 120);
        apply(&mut buf, u);
        assert_eq!(entries(&buf)[0].count, 2);
        assert!(skip(&buf, IP, t + 120, 0));
        assert!(skip(&buf, IP, t + 120 + 3839, 0));
        assert!(!skip(&buf, IP, t + 120 + 3840, 0));
        assert!(skip(&buf, IP, t + 120 + 5823, 31));
        assert!(!skip(&buf, IP, t + 120 + 5824, 31));
        assert!(!skip(&buf, v4(192, 0, 2, 2), t + 120, 0));
        // Success or refusal resets the count.
        let u = update(&buf, IP, false, t + 200);
        apply(&mut buf, u);
        assert_eq!(entries(&buf)[0].count, 0);
        assert!(!skip(&buf, IP, t + 200, 0));
        assert_eq!(update(&buf, IP, false, t + 300), None);
    }

    #[test]
    fn count_saturates_and_full_table_evicts() {
        let mut buf = vec![0u8; SIZE];
        for k in 0..15u64 {
            let u = update(&buf, IP, true, 1000 + k * 200);
            apply(&mut buf, u);
        }
        assert_eq!(entries(&buf)[0].count, COUNT_MAX);
        let mut buf = vec![0u8; SIZE];
        for i in 0..RECORDS {
            let u = update(&buf, v4(10, 0, 0, i as u8), true, 5000 + i as u64);
            apply(&mut buf, u);
        }
        // All slots in use: the oldest (10.0.0.0, when 5000) goes.
        let (i, _) = update(&buf, IP, true, 9000).unwrap();
        assert_eq!(i, 0);
        assert_eq!(buf.len(), SIZE);
        // A short file: only whole records count, and a new record may extend it.
        assert!(entries(&buf[..40]).len() == 2);
        assert_eq!(update(&[], IP, true, 1).unwrap().0, 0);
    }
}
