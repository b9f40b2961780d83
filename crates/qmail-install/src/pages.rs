//! Man pages found in the source tree: `man/NAME.S` or `man/manS/NAME.S`, for the sections
//! qmail uses (1, 5, 7, 8), installed as `man/manS/NAME.S`.
use std::fs;
use std::path::Path;

use qmail_hier::Entry;

const SECTIONS: [&str; 4] = ["1", "5", "7", "8"];

fn section(name: &str) -> Option<&'static str> {
    if name.starts_with('.') {
        return None;
    }
    let (_, ext) = name.rsplit_once('.')?;
    SECTIONS.iter().copied().find(|s| *s == ext)
}

fn scan(dir: &Path, only: Option<&str>, v: &mut Vec<Entry>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for d in rd.flatten() {
        let name = d.file_name().to_string_lossy().into_owned();
        let path = d.path();
        if !path.is_file() {
            continue;
        }
        if let Some(s) = section(&name) {
            if only.map_or(true, |o| o == s) {
                v.push(Entry::Page {
                    path: format!("man/man{s}/{name}"),
                    src: Some(path),
                });
            }
        }
    }
}

/// The pages under `srcdir/man`, sorted; none when there is no such directory.
pub fn pages(srcdir: &Path) -> Vec<Entry> {
    let man = srcdir.join("man");
    let mut v = Vec::new();
    scan(&man, None, &mut v);
    for s in SECTIONS {
        scan(&man.join(format!("man{s}")), Some(s), &mut v);
    }
    v.sort_by_key(Entry::path);
    v.dedup_by_key(|e| e.path());
    v
}
