//! Message ids and the names qmail-queue gives its files.

/// The subdirectory number of message `id` in a queue split `split` ways (0 counts as 1).
pub fn split_of(id: u64, split: u32) -> u64 {
    id % u64::from(split.max(1))
}

/// Message `id` under a split directory with the compiled-in split: `<id mod split>/<id>`
/// (what qmail-send names a message to the spawns, which work in mess/).
pub fn split_name(id: u64) -> String {
    format!("{}/{id}", split_of(id, crate::auto::SPLIT))
}

/// qmail-send's request to qmail-clean to remove message `id` (its intd and mess files).
pub fn foop(id: u64) -> String {
    format!("foop/{id}")
}

/// A queue file name is plain decimal, at most 20 digits; anything else is not a message.
pub fn parse_id(name: &[u8]) -> Option<u64> {
    if name.is_empty() || name.len() > 20 || !name.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(name).ok()?.parse().ok()
}

/// qmail-queue's file in pid/: `<pid>.<start time>.<seq>`.
pub fn pid_file(pid: u32, start: i64, seq: u32) -> String {
    format!("pid/{pid}.{start}.{seq}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ids() {
        assert_eq!(parse_id(b"123"), Some(123));
        assert_eq!(parse_id(b"12a"), None);
        assert_eq!(parse_id(b""), None);
        assert_eq!(parse_id(b"99999999999999999999999"), None);
        assert_eq!(pid_file(42, 7, 1), "pid/42.7.1");
        assert_eq!(split_of(10, 0), 0);
    }

    proptest! {
        #[test]
        fn id_round_trip(id: u64) {
            prop_assert_eq!(parse_id(id.to_string().as_bytes()), Some(id));
        }

        #[test]
        fn split_in_range(id: u64, split in 1u32..1000) {
            prop_assert!(split_of(id, split) < u64::from(split));
        }
    }
}
