//! A small fake queue in a temporary home, listed byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use qmail_core::auto::SPLIT;

fn queue(tag: &str) -> PathBuf {
    let h = std::env::temp_dir().join(format!("qmail-qread-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&h);
    for d in ["mess", "info", "local", "remote"] {
        for n in 0..SPLIT {
            fs::create_dir_all(h.join(format!("queue/{d}/{n}"))).unwrap();
        }
    }
    fs::create_dir_all(h.join("queue/bounce")).unwrap();
    h
}

fn put(h: &Path, dir: &str, id: u64, data: &[u8]) {
    let p = match dir {
        "bounce" => h.join(format!("queue/bounce/{id}")),
        _ => h.join(format!("queue/{dir}/{}/{id}", id % u64::from(SPLIT))),
    };
    fs::write(&p, data).unwrap();
    if dir == "info" {
        let f = fs::File::options().write(true).open(&p).unwrap();
        f.set_modified(UNIX_EPOCH + Duration::from_secs(1795737742))
            .unwrap();
    }
}

fn qread(h: &Path) -> (u8, String) {
    let mut out = Vec::new();
    let code = qmail_qread::run_in(h, &mut out);
    (code, String::from_utf8(out).unwrap())
}

#[test]
fn lists_messages_and_recipients() {
    let h = queue("list");
    put(&h, "mess", 1, &[b'x'; 282]);
    put(&h, "info", 1, b"Fjoe@example.com\0");
    put(&h, "local", 1, b"Tjoe@here\0Dkim@here\0Xignored\0Tpartial");
    put(&h, "remote", 1, b"Tbob@remote.example\0");
    put(&h, "bounce", 1, b"");
    // id 2: bounce message (empty sender), a control byte in the address, no local file
    put(&h, "mess", 2, b"hello\n");
    put(&h, "info", 2, b"F\0");
    put(&h, "remote", 2, b"Dcarol\x01@remote.example\0");
    // id 3: no mess file; "junk" and ".x" are not messages
    put(&h, "info", 3, b"Fz@z\0");
    fs::write(h.join("queue/info/0/junk"), "").unwrap();
    fs::write(h.join("queue/info/0/.x"), "").unwrap();

    let (code, out) = qread(&h);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "27 Nov 2026 00:02:22 GMT  #1  282  <joe@example.com>  bouncing\n\
         \tlocal\tjoe@here\n  done\tlocal\tkim@here\n\tremote\tbob@remote.example\n\
         27 Nov 2026 00:02:22 GMT  #2  6  <> \n  done\tremote\tcarol_@remote.example\n\
         warning: trouble with #3: file does not exist\n"
    );
    fs::remove_dir_all(&h).unwrap();
}

#[test]
fn empty_queue_and_missing_queue() {
    let h = queue("empty");
    assert_eq!(qread(&h), (0, String::new()));
    fs::remove_dir(h.join("queue/info/7")).unwrap();
    assert_eq!(
        qread(&h),
        (
            111,
            "fatal: unable to opendir info/7: file does not exist\n".into()
        )
    );
    fs::remove_dir_all(h.join("queue")).unwrap();
    assert_eq!(
        qread(&h),
        (111, "fatal: unable to chdir: file does not exist\n".into())
    );
    fs::remove_dir_all(&h).unwrap();
}

#[test]
fn unreadable_recipients_are_a_warning() {
    let h = queue("perm");
    put(&h, "mess", 4, b"m");
    put(&h, "info", 4, b"Fa@b\0");
    put(&h, "local", 4, b"Tc@d\0");
    // a directory where the remote file should be
    fs::create_dir(h.join(format!("queue/remote/{}/4", 4 % SPLIT))).unwrap();
    let (code, out) = qread(&h);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "27 Nov 2026 00:02:22 GMT  #4  1  <a@b> \n\tlocal\tc@d\nwarning: trouble with #4: is a directory\n"
    );
    fs::remove_dir_all(&h).unwrap();
}

/// A user who may not enter the queue gets qmail's `unable to chdir`, not an opendir error.
#[test]
fn queue_closed_to_the_user_is_unable_to_chdir() {
    let h = qmail_e2e::Home::new("qread-perm");
    fs::set_permissions(h.dir(), fs::Permissions::from_mode(0o755)).unwrap();
    fs::create_dir_all(h.path("queue/info/0")).unwrap();
    fs::set_permissions(h.path("queue"), fs::Permissions::from_mode(0o750)).unwrap();
    let r = qmail_e2e::run(h.command("setpriv").args([
        "--reuid=nobody",
        "--regid=nogroup",
        "--clear-groups",
        env!("CARGO_BIN_EXE_qmail-qread"),
    ]));
    assert_eq!(
        r.combined(),
        (111, "fatal: unable to chdir: access denied\n".to_string())
    );
}
