//! The spawn command: `delnum messid\0 sender\0 recipient\0`, with the
//! sender's VERP form `pre@host-@[]` expanded per recipient to `prebox=dom@host`.

/// The sender as passed to the spawn for `recip`.
pub fn expand(sender: &[u8], recip: &[u8]) -> Vec<u8> {
    let Some(base) = sender.strip_suffix(b"-@[]") else {
        return sender.to_vec();
    };
    let (Some(j), Some(k)) = (rchr(base, b'@'), rchr(recip, b'@')) else {
        return sender.to_vec();
    };
    let (pre, host) = (
        base.get(..j).unwrap_or(&[]),
        base.get(j + 1..).unwrap_or(&[]),
    );
    let (rbox, rdom) = (
        recip.get(..k).unwrap_or(&[]),
        recip.get(k + 1..).unwrap_or(&[]),
    );
    [pre, rbox, b"=", rdom, b"@", host].concat()
}

fn rchr(s: &[u8], c: u8) -> Option<usize> {
    s.iter().rposition(|&b| b == c)
}

/// The complete command for delivery slot `slot` (< 256, bounded by conf-spawn).
pub fn command(slot: usize, id: u64, sender: &[u8], recip: &[u8]) -> Vec<u8> {
    let mut v = vec![u8::try_from(slot).unwrap_or(u8::MAX)];
    v.extend_from_slice(qmail_core::queue::names::split_name(id).as_bytes());
    v.push(0);
    v.extend_from_slice(&expand(sender, recip));
    v.push(0);
    v.extend_from_slice(recip);
    v.push(0);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verp() {
        assert_eq!(expand(b"pre@host-@[]", b"box@dom"), b"prebox=dom@host");
        assert_eq!(
            expand(b"list-owner-@lists.example-@[]", b"a@b@c"),
            b"list-owner-a@b=c@lists.example"
        );
        assert_eq!(expand(b"pre@host-@[]", b"nobox"), b"pre@host-@[]");
        assert_eq!(expand(b"nohost-@[]", b"box@dom"), b"nohost-@[]");
        assert_eq!(expand(b"a@b", b"box@dom"), b"a@b");
        assert_eq!(expand(b"", b"box@dom"), b"");
        assert_eq!(expand(b"#@[]", b"box@dom"), b"#@[]");
    }

    #[test]
    fn command_bytes() {
        let id = 753663u64;
        let want = [
            &[3u8][..],
            format!("{}/{id}\0a@b\0c@d\0", id % 23).as_bytes(),
        ]
        .concat();
        assert_eq!(command(3, id, b"a@b", b"c@d"), want);
    }
}
