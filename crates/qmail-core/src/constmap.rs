//! constmap: case-insensitive lookups in list controls (last duplicate wins).
//!
//! The maps qmail builds from `rcpthosts`, `locals`, `virtualdomains`, `smtproutes`,
//! `badmailfrom` and friends (qmail-control(5)): a lookup is an ASCII case-insensitive exact
//! match of the whole key. For `key:value` files the key is everything before the first `:`
//! and the value everything after it; lines without `:` are ignored. When a key appears
//! twice the LAST line wins (unlike cdb, where the first record wins).
use std::collections::HashMap;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConstMap {
    map: HashMap<Vec<u8>, Vec<u8>>,
}

impl ConstMap {
    /// Build a map from the lines of a list control (as `control::readfile` returns them).
    /// With `colon`, lines are `key:value`; without, each whole line is a key with an empty
    /// value.
    pub fn new(lines: &[Vec<u8>], colon: bool) -> ConstMap {
        let mut map = HashMap::with_capacity(lines.len());
        for line in lines {
            let (key, value) = if colon {
                match memchr::memchr(b':', line) {
                    Some(i) => (
                        line.get(..i).unwrap_or_default(),
                        line.get(i.saturating_add(1)..).unwrap_or_default(),
                    ),
                    None => continue,
                }
            } else {
                (line.as_slice(), &[][..])
            };
            // insert replaces: the last duplicate wins.
            map.insert(key.to_ascii_lowercase(), value.to_vec());
        }
        ConstMap { map }
    }

    /// The value for `key` (an empty slice for plain lists), matched case-insensitively.
    pub fn get(&self, key: &[u8]) -> Option<&[u8]> {
        self.map.get(&key.to_ascii_lowercase()).map(Vec::as_slice)
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(v: &[&[u8]]) -> Vec<Vec<u8>> {
        v.iter().map(|l| l.to_vec()).collect()
    }

    #[test]
    fn plain_list_is_case_insensitive_exact() {
        let m = ConstMap::new(&lines(&[b"Example.COM", b"host.example.org"]), false);
        assert!(m.contains(b"example.com"));
        assert!(m.contains(b"EXAMPLE.com"));
        assert_eq!(m.get(b"example.com"), Some(&b""[..]));
        assert!(!m.contains(b"sub.example.com"), "no suffix matching");
        assert!(!m.contains(b"example.co"));
        assert!(!m.contains(b""));
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn plain_list_keeps_colons_in_the_key() {
        let m = ConstMap::new(&lines(&[b"a:b"]), false);
        assert!(m.contains(b"A:B"));
        assert!(!m.contains(b"a"));
    }

    #[test]
    fn colon_map_splits_at_first_colon_and_last_wins() {
        let m = ConstMap::new(
            &lines(&[
                b"Virtual.Example:joe",
                b"no colon line",
                b"relay.example:[10.0.0.1]:2525",
                b"virtual.example:mary",
                b":catchall",
                b"empty.example:",
            ]),
            true,
        );
        assert_eq!(m.get(b"VIRTUAL.example"), Some(&b"mary"[..]));
        assert_eq!(m.get(b"relay.example"), Some(&b"[10.0.0.1]:2525"[..]));
        assert_eq!(m.get(b""), Some(&b"catchall"[..]));
        assert_eq!(m.get(b"empty.example"), Some(&b""[..]));
        assert!(!m.contains(b"no colon line"));
        assert_eq!(m.len(), 4);
    }

    #[test]
    fn value_keeps_its_case_and_non_ascii_bytes_match_exactly() {
        let m = ConstMap::new(&lines(&[b"K\xc9y:MixedCase"]), true);
        assert_eq!(m.get(b"k\xc9Y"), Some(&b"MixedCase"[..]));
        assert!(!m.contains(b"k\xe9y"), "only ASCII letters fold");
    }

    #[test]
    fn empty_map() {
        let m = ConstMap::new(&[], true);
        assert!(m.is_empty());
        assert!(!m.contains(b"x"));
    }
}
