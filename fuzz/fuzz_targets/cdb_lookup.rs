//! cdb on hostile input. Mode 0: the bytes are a cdb file; every lookup returns data or
//! `CdbError::Format`, never a panic. Mode 1: the bytes are records; a cdb built from them
//! finds each key's first value, and all its values in order.
#![no_main]
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::fs::File;
use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use qmail_core::cdb::{Cdb, CdbError, CdbMake};

fn scratch() -> PathBuf {
    let dir = PathBuf::from("/dev/shm");
    let dir = if dir.is_dir() { dir } else { std::env::temp_dir() };
    dir.join(format!("qmail-fuzz-cdb-{}", std::process::id()))
}

fn hostile_file(path: &PathBuf, data: &[u8]) {
    // Keys to try: the first byte says how long a key to take from the front.
    let Some((&klen, rest)) = data.split_first() else {
        return;
    };
    let (key, file) = rest.split_at(usize::from(klen % 8).min(rest.len()));
    std::fs::write(path, file).unwrap();
    let Ok(cdb) = Cdb::open(path) else {
        return;
    };
    for k in [key, b"", b"!", b"\0"] {
        for r in cdb.find_all(k) {
            assert!(matches!(r, Ok(_) | Err(CdbError::Format(_))), "{r:?}");
        }
    }
}

/// Records as `klen dlen key data`, lengths one byte each, key length mod 4 so that
/// duplicates are common.
fn records(mut data: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    while let [klen, dlen, rest @ ..] = data {
        let klen = usize::from(*klen % 4).min(rest.len());
        let (key, rest) = rest.split_at(klen);
        let dlen = usize::from(*dlen).min(rest.len());
        let (value, rest) = rest.split_at(dlen);
        out.push((key.to_vec(), value.to_vec()));
        data = rest;
    }
    out
}

fn round_trip(path: &PathBuf, data: &[u8]) {
    let recs = records(data);
    let mut mk = CdbMake::new(File::create(path).unwrap());
    let mut all: HashMap<&[u8], Vec<&[u8]>> = HashMap::new();
    for (k, d) in &recs {
        mk.add(k, d).unwrap();
        all.entry(k).or_default().push(d);
    }
    mk.finish().unwrap();
    let cdb = Cdb::open(path).unwrap();
    for (k, ds) in all {
        assert_eq!(cdb.find(k).unwrap().as_deref(), ds.first().copied(), "first wins");
        let found: Vec<Vec<u8>> = cdb.find_all(k).map(Result::unwrap).collect();
        assert_eq!(found, ds);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let path = scratch();
    if mode & 1 == 0 {
        hostile_file(&path, rest);
    } else {
        round_trip(&path, rest);
    }
});
