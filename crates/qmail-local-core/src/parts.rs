//! The parts of an address qmail-local hands to programs as EXT2…EXT4 and HOST2…HOST4.

/// EXT2, EXT3, EXT4: what follows the first, second, third `-` of EXT (empty if none).
pub fn ext_n(ext: &[u8], n: usize) -> &[u8] {
    let mut rest = ext;
    for _ in 0..n {
        match memchr::memchr(b'-', rest) {
            Some(p) => rest = rest.get(p.saturating_add(1)..).unwrap_or(b""),
            None => return b"",
        }
    }
    rest
}

/// HOST2, HOST3, HOST4: the host with the last 1, 2, 3 dot-separated parts removed; once
/// no dot is left the value stays what it was.
pub fn host_n(host: &[u8], n: usize) -> &[u8] {
    let mut cur = host;
    for _ in 0..n {
        if let Some(p) = memchr::memrchr(b'.', cur) {
            cur = cur.get(..p).unwrap_or(cur);
        }
    }
    cur
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ext_parts() {
        assert_eq!(ext_n(b"a-b-c-d", 1), b"b-c-d");
        assert_eq!(ext_n(b"a-b-c-d", 3), b"d");
        assert_eq!(ext_n(b"a-b", 2), b"");
        assert_eq!(ext_n(b"", 1), b"");
    }

    #[test]
    fn host_parts() {
        assert_eq!(host_n(b"a.b.c.d", 1), b"a.b.c");
        assert_eq!(host_n(b"a.b.c.d", 3), b"a");
        assert_eq!(host_n(b"localhost", 3), b"localhost");
    }
}
