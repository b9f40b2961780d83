use super::*;
use std::fs::File;

fn build(records: &[(&[u8], &[u8])]) -> (tempdir::Dir, PathBuf) {
    let dir = tempdir::Dir::new();
    let path = dir.0.join("t.cdb");
    let mut mk = CdbMake::new(File::create(&path).unwrap());
    for (k, d) in records {
        mk.add(k, d).unwrap();
    }
    mk.finish().unwrap();
    (dir, path)
}

/// A private directory under the system temp dir, removed on drop.
mod tempdir {
    use std::path::PathBuf;
    pub struct Dir(pub PathBuf);
    impl Dir {
        pub fn new() -> Dir {
            use std::sync::atomic::{AtomicU32, Ordering};
            static N: AtomicU32 = AtomicU32::new(0);
            let p = std::env::temp_dir().join(format!(
                "qmail-core-cdb-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&p).unwrap();
            Dir(p)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[test]
fn hash_known_values() {
    assert_eq!(hash(b""), 5381);
    // 5381*33 ^ 'a' = 177573 ^ 97
    assert_eq!(hash(b"a"), 177573 ^ 97);
    assert_eq!(hash(b"!joe\0"), {
        let mut h: u32 = 5381;
        for &b in b"!joe\0" {
            h = h.wrapping_mul(33) ^ u32::from(b);
        }
        h
    });
}

#[test]
fn empty_cdb_is_header_only() {
    let (_d, path) = build(&[]);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len(), 2048);
    for chunk in bytes.chunks(8) {
        assert_eq!(chunk, unpair(2048, 0));
    }
    let cdb = Cdb::open(&path).unwrap();
    assert_eq!(cdb.find(b"").unwrap(), None);
    assert_eq!(cdb.find(b"x").unwrap(), None);
}

#[test]
fn first_duplicate_wins_and_find_all_lists_all() {
    let (_d, path) = build(&[
        (b"k", b"one"),
        (b"other", b"x"),
        (b"k", b"two"),
        (b"", b"empty key"),
        (b"k", b""),
    ]);
    let cdb = Cdb::open(&path).unwrap();
    assert_eq!(cdb.find(b"k").unwrap().as_deref(), Some(&b"one"[..]));
    let all: Vec<Vec<u8>> = cdb.find_all(b"k").map(Result::unwrap).collect();
    assert_eq!(all, vec![b"one".to_vec(), b"two".to_vec(), Vec::new()]);
    assert_eq!(cdb.find(b"").unwrap().as_deref(), Some(&b"empty key"[..]));
    assert_eq!(cdb.find(b"K").unwrap(), None, "keys are case-sensitive");
    assert_eq!(cdb.find(b"othe").unwrap(), None);
}

#[test]
fn short_file_is_format_error() {
    let d = tempdir::Dir::new();
    let path = d.0.join("short");
    std::fs::write(&path, [0u8; 100]).unwrap();
    assert!(matches!(Cdb::open(&path), Err(CdbError::Format(Some(_)))));
}

#[test]
fn table_past_end_is_format_error() {
    let d = tempdir::Dir::new();
    let path = d.0.join("bad");
    let mut bytes = Vec::new();
    for _ in 0..256 {
        bytes.extend_from_slice(&unpair(2048, 0xffff_ffff));
    }
    std::fs::write(&path, &bytes).unwrap();
    let cdb = Cdb::open(&path).unwrap();
    assert!(matches!(cdb.find(b"a"), Err(CdbError::Format(_))));
}

#[test]
fn huge_data_length_is_format_error_not_allocation() {
    let (_d, path) = build(&[(b"key", b"data")]);
    let mut bytes = std::fs::read(&path).unwrap();
    // The record's dlen sits at 2048 + 4.
    bytes.splice(2052..2056, 0xfff0_0000u32.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let cdb = Cdb::open(&path).unwrap();
    assert!(matches!(cdb.find(b"key"), Err(CdbError::Format(_))));
}

#[test]
fn full_table_probe_terminates() {
    // One table whose every slot is taken by a foreign hash: the probe must stop after
    // `len` slots instead of circling forever.
    let d = tempdir::Dir::new();
    let path = d.0.join("full");
    let key = b"a";
    let t = (hash(key) & 255) as usize;
    let mut bytes = Vec::new();
    for i in 0..256 {
        let (p, l) = if i == t { (2048u32, 4u32) } else { (2048, 0) };
        bytes.extend_from_slice(&unpair(p, l));
    }
    for _ in 0..4 {
        bytes.extend_from_slice(&unpair(hash(key) ^ 0x100, 2048));
    }
    std::fs::write(&path, &bytes).unwrap();
    let cdb = Cdb::open(&path).unwrap();
    assert_eq!(cdb.find(key).unwrap(), None);
}

#[test]
fn directory_and_missing_file() {
    let d = tempdir::Dir::new();
    assert!(matches!(Cdb::open(&d.0), Err(CdbError::NotFile(_))));
    let missing = d.0.join("nope");
    match Cdb::open(&missing) {
        Err(CdbError::Io(Some(p), e)) => {
            assert_eq!(p, missing);
            assert_eq!(e.kind(), io::ErrorKind::NotFound);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn writer_ignores_file_cursor_and_old_contents() {
    let d = tempdir::Dir::new();
    let path = d.0.join("reuse");
    std::fs::write(&path, vec![0xaa; 10_000]).unwrap();
    let f = File::options().read(true).write(true).open(&path).unwrap();
    let mut mk = CdbMake::new(f);
    mk.add(b"a", b"b").unwrap();
    mk.finish().unwrap();
    let len = std::fs::metadata(&path).unwrap().len();
    // header + record (8+1+1) + table of two slots
    assert_eq!(len, 2048 + 10 + 16);
    assert_eq!(
        Cdb::open(&path).unwrap().find(b"a").unwrap().as_deref(),
        Some(&b"b"[..])
    );
}

#[test]
fn records_in_file_order() {
    let (_d, p) = build(&[(b"a", b"1"), (b"", b"-"), (b"a", b"2")]);
    let c = Cdb::open(&p).unwrap();
    let r = c.records().unwrap();
    assert_eq!(
        r,
        vec![
            (b"a".to_vec(), b"1".to_vec()),
            (b"".to_vec(), b"-".to_vec()),
            (b"a".to_vec(), b"2".to_vec())
        ]
    );
    let (_d, p) = build(&[]);
    assert!(Cdb::open(&p).unwrap().records().unwrap().is_empty());
}
