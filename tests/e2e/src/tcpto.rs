//! A sample queue/lock/tcpto for the qmail-tcpto and qmail-tcpok tests: 64 records of 16
//! bytes (IPv4 address, timeout count, last timeout as a little-endian time).

/// Seconds since the epoch, now.
pub fn now() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as u32
}

/// 192.0.2.1 timed out twice 100 s ago, 10.1.2.3 ten times 5000 s ago, and a free slot
/// (no count) still holds 10.9.9.9.
pub fn sample_table() -> Vec<u8> {
    let mut t = vec![0u8; 1024];
    put(&mut t, 0, &[192, 0, 2, 1, 2]);
    put(&mut t, 8, &(now() - 100).to_le_bytes());
    put(&mut t, 16 * 5, &[10, 1, 2, 3, 10]);
    put(&mut t, 16 * 5 + 8, &(now() - 5000).to_le_bytes());
    // A free slot with an address: not printed.
    put(&mut t, 16 * 6, &[10, 9, 9, 9]);
    t
}

/// Copy `b` into `t` at `at` (the table is large enough for every record above).
fn put(t: &mut [u8], at: usize, b: &[u8]) {
    t.iter_mut().skip(at).zip(b).for_each(|(d, s)| *d = *s);
}
