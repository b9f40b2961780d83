//! Queue file names: `dir/N/id` for the split directories, `dir/id` for the others.
use crate::auto;

/// Directories split by `id mod conf-split`.
pub const SPLIT_DIRS: [&str; 4] = ["mess", "info", "local", "remote"];

/// The subdirectory number of message `id`.
pub fn split_of(id: u64) -> u64 {
    id % u64::from(auto::SPLIT.max(1))
}

/// `dir/<id mod split>/<id>` (split directories) relative to the queue.
pub fn split_path(dir: &str, id: u64) -> String {
    format!("{dir}/{}/{id}", split_of(id))
}

/// `dir/<id>` (pid, intd, todo, bounce) relative to the queue.
pub fn flat_path(dir: &str, id: u64) -> String {
    format!("{dir}/{id}")
}

/// A queue file name is plain decimal with no leading zero; anything else is ignored.
pub fn parse_id(name: &[u8]) -> Option<u64> {
    if name.is_empty() || name.len() > 20 || !name.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(name).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            split_path("mess", 753663),
            format!("mess/{}/753663", 753663 % 23)
        );
        assert_eq!(flat_path("todo", 5), "todo/5");
        assert_eq!(parse_id(b"123"), Some(123));
        assert_eq!(parse_id(b"12a"), None);
        assert_eq!(parse_id(b""), None);
        assert_eq!(parse_id(b"99999999999999999999999"), None);
    }
}
