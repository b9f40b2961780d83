//! `queue/lock/tcpto`: which IP addresses recently timed out on connect (qmail-tcpto(5)).
//!
//! 64 records of 16 bytes: bytes 0–3 the IPv4 address, byte 4 the number of recent
//! timeouts (0 = free, at most 10), bytes 8–11 the time of the last timeout (low 32 bits
//! of Unix time, little-endian); the rest is zero. Readers and writers hold an exclusive
//! `flock` on a write descriptor; qmail-rspawn and qmail-tcpok clear the file.
//!
//! Only connect *timeouts* count: a refused connection or a success resets the count.
//! An address with two or more recent timeouts is skipped for `(60 + (pid & 31)) << 6`
//! seconds (64 to 97 minutes; the pid spreads the retries of many qmail-remotes).
use nix::fcntl::{Flock, FlockArg};
use std::fs::File;
use std::io::{self, Read};
use std::net::Ipv4Addr;
use std::os::unix::fs::{FileExt, OpenOptionsExt};

pub const PATH: &str = "queue/lock/tcpto";
pub const RECORD: usize = 16;
pub const RECORDS: usize = 64;
pub const SIZE: usize = RECORD * RECORDS;
pub const COUNT_MAX: u8 = 10;
/// A second timeout within this many seconds of the last one is not counted again.
const RECOUNT_AFTER: u64 = 120;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub ip: Ipv4Addr,
    pub count: u8,
    pub when: u32,
}

fn entry(rec: &[u8]) -> Option<Entry> {
    let b = |i: usize| rec.get(i).copied();
    Some(Entry {
        ip: Ipv4Addr::new(b(0)?, b(1)?, b(2)?, b(3)?),
        count: b(4)?,
        when: u32::from_le_bytes([b(8)?, b(9)?, b(10)?, b(11)?]),
    })
}

fn record(e: &Entry) -> [u8; RECORD] {
    let mut r = [0u8; RECORD];
    let ip = e.ip.octets();
    let when = e.when.to_le_bytes();
    for (dst, src) in r.iter_mut().zip(
        ip.iter()
            .chain([e.count, 0, 0, 0].iter())
            .chain(when.iter()),
    ) {
        *dst = *src;
    }
    r
}

/// The whole records in `buf` (a short read gives fewer than 64).
pub fn entries(buf: &[u8]) -> Vec<Entry> {
    buf.chunks_exact(RECORD).filter_map(entry).collect()
}

/// How long this process skips an address with 2+ recent timeouts.
pub fn skip_period(pid: u32) -> u64 {
    (60 + u64::from(pid & 31)) << 6
}

/// Should the connect to `ip` be skipped?
pub fn skip(buf: &[u8], ip: Ipv4Addr, now: u64, pid: u32) -> bool {
    entries(buf).iter().any(|e| {
        e.ip == ip
            && e.count >= 2
            && (now as i64).wrapping_sub(i64::from(e.when)) < skip_period(pid) as i64
    })
}

/// The record to write (index, bytes) after a connect attempt to `ip`, if any.
pub fn update(buf: &[u8], ip: Ipv4Addr, timeout: bool, now: u64) -> Option<(usize, [u8; RECORD])> {
    let list = entries(buf);
    let found = list.iter().position(|e| e.ip == ip && e.count > 0);
    let now32 = now as u32;
    if !timeout {
        let i = found?;
        let mut e = *list.get(i)?;
        e.count = 0;
        return Some((i, record(&e)));
    }
    if let Some(i) = found {
        let mut e = *list.get(i)?;
        if now.wrapping_sub(u64::from(e.when)) < RECOUNT_AFTER {
            return None;
        }
        e.count = e.count.saturating_add(1).min(COUNT_MAX);
        e.when = now32;
        return Some((i, record(&e)));
    }
    let slot = list.iter().position(|e| e.count == 0).or_else(|| {
        // Evict the record that is oldest once its count is weighed in.
        list.iter()
            .enumerate()
            .min_by_key(|(_, e)| u64::from(e.when) + (u64::from(e.count) << 10))
            .map(|(i, _)| i)
    })?;
    Some((
        slot,
        record(&Entry {
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
    l.write_all_at(&[0u8; SIZE], 0).map_err(OpenError::Write)
}

pub fn open_locked() -> Result<Locked, OpenError> {
    let wr = open_write(PATH)?;
    let mut rd = File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(PATH)
        .map_err(OpenError::Open)?;
    let lock = lock(wr)?;
    let mut buf = Vec::with_capacity(SIZE);
    (&mut rd)
        .take(SIZE as u64)
        .read_to_end(&mut buf)
        .map_err(OpenError::Read)?;
    Ok(Locked { lock, buf })
}

impl Locked {
    pub fn write_record(&self, index: usize, rec: &[u8; RECORD]) -> io::Result<()> {
        let off = index
            .checked_mul(RECORD)
            .ok_or(io::ErrorKind::InvalidInput)?;
        self.lock.write_all_at(rec, off as u64)
    }
}

/// qmail-remote's check before a connect; any trouble with the file means "try it".
pub fn is_timing_out(ip: Ipv4Addr, now: u64, pid: u32) -> bool {
    open_locked().is_ok_and(|l| skip(&l.buf, ip, now, pid))
}

/// qmail-remote's record of a connect result; write errors are ignored.
pub fn record_result(ip: Ipv4Addr, timeout: bool, now: u64) {
    if let Ok(l) = open_locked() {
        if let Some((i, rec)) = update(&l.buf, ip, timeout, now) {
            let _ = l.write_record(i, &rec);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

    fn apply(buf: &mut [u8], u: Option<(usize, [u8; RECORD])>) {
        if let Some((i, r)) = u {
            buf[i * RECORD..(i + 1) * RECORD].copy_from_slice(&r);
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
        assert!(!skip(&buf, Ipv4Addr::new(192, 0, 2, 2), t + 120, 0));
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
            let ip = Ipv4Addr::new(10, 0, 0, i as u8);
            let u = update(&buf, ip, true, 5000 + i as u64);
            apply(&mut buf, u);
        }
        // All slots in use: the oldest (10.0.0.0, when 5000) goes.
        let (i, _) = update(&buf, IP, true, 9000).unwrap();
        assert_eq!(i, 0);
        // A short file: only whole records count.
        assert!(entries(&buf[..40]).len() == 2);
        assert_eq!(update(&[], IP, true, 1), None);
    }
}
