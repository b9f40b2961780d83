//! Counts over a fake queue.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::fs;
use std::path::Path;

use qmail_core::auto::SPLIT;

fn qstat(h: &Path) -> Result<String, String> {
    let mut out = Vec::new();
    match qmail_qstat::run_in(h, &mut out) {
        Ok(()) => Ok(String::from_utf8(out).unwrap()),
        Err((p, e)) => Err(format!("{}: {e}", p.display())),
    }
}

#[test]
fn counts() {
    let h = std::env::temp_dir().join(format!("qmail-qstat-{}", std::process::id()));
    let _ = fs::remove_dir_all(&h);
    for n in 0..SPLIT {
        fs::create_dir_all(h.join(format!("queue/mess/{n}"))).unwrap();
    }
    fs::create_dir_all(h.join("queue/todo")).unwrap();
    assert_eq!(
        qstat(&h).unwrap(),
        "messages in queue: 0\nmessages in queue but not yet preprocessed: 0\n"
    );
    for id in [5u32, 28, 51, 7] {
        fs::write(h.join(format!("queue/mess/{}/{id}", id % SPLIT)), "m").unwrap();
    }
    fs::write(h.join("queue/todo/7"), "").unwrap();
    assert_eq!(
        qstat(&h).unwrap(),
        "messages in queue: 4\nmessages in queue but not yet preprocessed: 1\n"
    );
    fs::remove_dir_all(h.join("queue/todo")).unwrap();
    let e = qstat(&h).unwrap_err();
    assert!(
        e.ends_with("/queue/todo: No such file or directory (os error 2)"),
        "{e}"
    );
    fs::remove_dir_all(&h).unwrap();
}
