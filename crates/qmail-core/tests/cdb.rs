//! Known-answer and round-trip tests for qmail_core::cdb.
//!
//! The fixtures were made with Debian's tinycdb (a cdbmake-compatible tool):
//!
//! ```sh
//! cd crates/qmail-core/tests/fixtures
//! cdb -c users.cdb users.in
//! cdb -c many.cdb many.in
//! ```
//!
//! `*.in` are in cdbmake's input format (`+klen,dlen:key->data` lines, then an empty line).
//! `users.in` is a users/cdb as qmail-newu would build it; `many.in` has 615 records with
//! duplicates, empty and binary keys, so most of the 256 tables hold colliding slots.
// Test helpers may unwrap and index: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use qmail_core::cdb::{hash, Cdb, CdbError, CdbMake};
use qmail_e2e::TempDir;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Parse cdbmake input: `+klen,dlen:key->data\n` … `\n`.
fn parse_cdbmake(mut input: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    fn number(input: &mut &[u8], end: u8) -> usize {
        let n = input.iter().position(|&b| b == end).unwrap();
        let v = std::str::from_utf8(&input[..n]).unwrap().parse().unwrap();
        *input = &input[n + 1..];
        v
    }
    let mut out = Vec::new();
    loop {
        match input.split_first() {
            Some((b'\n', _)) => return out,
            Some((b'+', rest)) => input = rest,
            other => panic!("bad cdbmake input at {other:?}"),
        }
        let klen = number(&mut input, b',');
        let dlen = number(&mut input, b':');
        let key = input[..klen].to_vec();
        assert_eq!(&input[klen..klen + 2], b"->");
        let data = input[klen + 2..klen + 2 + dlen].to_vec();
        assert_eq!(input[klen + 2 + dlen], b'\n');
        input = &input[klen + 3 + dlen..];
        out.push((key, data));
    }
}

fn make(path: &Path, records: &[(Vec<u8>, Vec<u8>)]) {
    let mut mk = CdbMake::new(File::create(path).unwrap());
    for (k, d) in records {
        mk.add(k, d).unwrap();
    }
    mk.finish().unwrap().sync_all().unwrap();
}

/// Every key's data, in the order added.
fn expected(records: &[(Vec<u8>, Vec<u8>)]) -> HashMap<Vec<u8>, Vec<Vec<u8>>> {
    let mut m: HashMap<Vec<u8>, Vec<Vec<u8>>> = HashMap::new();
    for (k, d) in records {
        m.entry(k.clone()).or_default().push(d.clone());
    }
    m
}

fn check_reads(cdb: &Cdb, records: &[(Vec<u8>, Vec<u8>)]) {
    for (key, all) in expected(records) {
        assert_eq!(cdb.find(&key).unwrap().as_ref(), all.first(), "key {key:?}");
        let found: Vec<Vec<u8>> = cdb.find_all(&key).map(Result::unwrap).collect();
        assert_eq!(found, all, "key {key:?}");
    }
}

#[test]
fn tool_made_fixtures_read_correctly() {
    for name in ["users", "many"] {
        let records = parse_cdbmake(&std::fs::read(fixture(&format!("{name}.in"))).unwrap());
        let cdb = Cdb::open(fixture(&format!("{name}.cdb"))).unwrap();
        check_reads(&cdb, &records);
        assert_eq!(cdb.find(b"no such key").unwrap(), None);
    }
}

#[test]
fn users_cdb_fixture_answers_like_qmail_lspawn_expects() {
    let cdb = Cdb::open(fixture("users.cdb")).unwrap();
    assert_eq!(
        cdb.find(b"").unwrap().as_deref(),
        Some(&b"-"[..]),
        "wildchars record"
    );
    let joe = cdb.find(b"!joe\0").unwrap().unwrap();
    assert!(
        joe.starts_with(b"joe\x00503\0"),
        "first duplicate wins: {joe:?}"
    );
    assert_eq!(cdb.find(b"!joe").unwrap(), None, "exact keys end with NUL");
    assert!(cdb.find(b"!mary-").unwrap().is_some());
}

#[test]
fn writer_is_byte_identical_to_tool() {
    let dir = TempDir::new("qmail-core-cdb-ident");
    for name in ["users", "many"] {
        let records = parse_cdbmake(&std::fs::read(fixture(&format!("{name}.in"))).unwrap());
        let ours = dir.join(format!("{name}.cdb"));
        make(&ours, &records);
        let theirs = std::fs::read(fixture(&format!("{name}.cdb"))).unwrap();
        let ours = std::fs::read(&ours).unwrap();
        assert_eq!(ours.len(), theirs.len(), "{name}");
        assert!(ours == theirs, "{name}: bytes differ");
    }
}

#[test]
fn fixture_hash_matches_tool_layout() {
    // Each record in the tool's file must sit in table hash%256 of the header: checks our
    // hash function against an independent implementation.
    let bytes = std::fs::read(fixture("users.cdb")).unwrap();
    let key = b"!mary-";
    let t = (hash(key) & 255) as usize * 8;
    let len = u32::from_le_bytes(bytes[t + 4..t + 8].try_into().unwrap());
    assert_eq!(len, 2, "one record in its table, two slots");
}

#[test]
fn truncated_fixture_never_panics() {
    let dir = TempDir::new("qmail-core-cdb-trunc");
    let records = parse_cdbmake(&std::fs::read(fixture("many.in")).unwrap());
    let full = std::fs::read(fixture("many.cdb")).unwrap();
    let path = dir.join("t.cdb");
    for cut in (0..full.len()).step_by(97).chain([full.len() - 1]) {
        std::fs::write(&path, &full[..cut]).unwrap();
        let cdb = match Cdb::open(&path) {
            Ok(c) => c,
            Err(e) => {
                assert!(cut < 2048 && matches!(e, CdbError::Format(_)), "{cut}: {e}");
                continue;
            }
        };
        for (k, _) in &records {
            match cdb.find(k) {
                Ok(_) | Err(CdbError::Format(_)) => {}
                Err(e) => panic!("{cut}: unexpected {e}"),
            }
        }
    }
}

#[test]
fn error_names_the_path() {
    let dir = TempDir::new("qmail-core-cdb-err");
    let path = dir.join("short.cdb");
    std::fs::write(&path, b"junk").unwrap();
    let e = Cdb::open(&path).unwrap_err();
    assert_eq!(e.path(), Some(path.as_path()));
    assert_eq!(e.to_string(), format!("{}: bad cdb format", path.display()));
}

fn records_strategy() -> impl Strategy<Value = Vec<(Vec<u8>, Vec<u8>)>> {
    // Small key alphabet so that duplicates and hash-table collisions are common.
    let key = prop::collection::vec(
        prop::sample::select(vec![0u8, b'a', b'b', b'!', 0xff]),
        0..4,
    );
    let data = prop::collection::vec(any::<u8>(), 0..40);
    prop::collection::vec((key, data), 0..200)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn round_trip_first_duplicate_wins(records in records_strategy()) {
        let dir = TempDir::new("qmail-core-cdb-prop");
        let path = dir.join("p.cdb");
        make(&path, &records);
        let cdb = Cdb::open(&path).unwrap();
        for (key, all) in expected(&records) {
            let first = cdb.find(&key).unwrap();
            prop_assert_eq!(first.as_ref(), all.first());
            let found: Vec<Vec<u8>> = cdb.find_all(&key).map(Result::unwrap).collect();
            prop_assert_eq!(found, all);
        }
        prop_assert_eq!(cdb.find(b"absent key").unwrap(), None);
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        body in prop::collection::vec(any::<u8>(), 0..4096),
        key in prop::collection::vec(any::<u8>(), 0..8),
    ) {
        let dir = TempDir::new("qmail-core-cdb-junk");
        let path = dir.join("j.cdb");
        std::fs::write(&path, &body).unwrap();
        if let Ok(cdb) = Cdb::open(&path) {
            for r in cdb.find_all(&key).take(10_000) {
                prop_assert!(matches!(r, Ok(_) | Err(CdbError::Format(_))));
            }
        }
    }

    #[test]
    fn corrupted_cdb_never_panics(
        records in records_strategy(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let dir = TempDir::new("qmail-core-cdb-flip");
        let path = dir.join("f.cdb");
        make(&path, &records);
        let mut bytes = std::fs::read(&path).unwrap();
        for (at, b) in flips {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        std::fs::write(&path, &bytes).unwrap();
        let cdb = Cdb::open(&path).unwrap();
        for (key, _) in &records {
            for r in cdb.find_all(key) {
                prop_assert!(matches!(r, Ok(_) | Err(CdbError::Format(_))));
            }
        }
    }
}
