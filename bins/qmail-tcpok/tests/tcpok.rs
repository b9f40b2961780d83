//! qmail-tcpok in a private mount namespace with a temporary /var/qmail (tests run as root).
#![allow(clippy::unwrap_used)]
use std::fs;
use std::path::PathBuf;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_qmail-tcpok");

struct Home(PathBuf);

impl Drop for Home {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn home(tag: &str) -> Home {
    let d = std::env::temp_dir().join(format!("qmail-tcpok-test-{}-{tag}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(d.join("queue/lock")).unwrap();
    Home(d)
}

/// (exit code, stdout, stderr)
fn run(h: &Home) -> (i32, String, String) {
    let script = format!(
        "mount -t tmpfs tmpfs /var && mkdir -p /var/qmail && mount --bind '{}' /var/qmail && exec '{}'",
        h.0.display(),
        BIN
    );
    let out = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", &script])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn now() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as u32
}

fn table() -> Vec<u8> {
    let mut t = vec![0u8; 1024];
    t[..5].copy_from_slice(&[192, 0, 2, 1, 2]);
    t[8..12].copy_from_slice(&(now() - 100).to_le_bytes());
    t[16 * 5..16 * 5 + 5].copy_from_slice(&[10, 1, 2, 3, 10]);
    t[16 * 5 + 8..16 * 5 + 12].copy_from_slice(&(now() - 5000).to_le_bytes());
    // A free slot with an address: not printed.
    t[16 * 6..16 * 6 + 4].copy_from_slice(&[10, 9, 9, 9]);
    t
}

#[test]
fn clears_the_table() {
    let h = home("clear");
    let mut t = table();
    t.extend_from_slice(b"tail");
    fs::write(h.0.join("queue/lock/tcpto"), &t).unwrap();
    assert_eq!(run(&h), (0, String::new(), String::new()));
    let after = fs::read(h.0.join("queue/lock/tcpto")).unwrap();
    assert_eq!(after.len(), 1028);
    assert!(after[..1024].iter().all(|&b| b == 0));
    assert_eq!(&after[1024..], b"tail");
}

#[test]
fn errors_name_the_file() {
    let h = home("missing");
    let (code, _, err) = run(&h);
    assert_eq!(code, 111);
    assert_eq!(
        err,
        "qmail-tcpok: fatal: unable to open /var/qmail/queue/lock/tcpto: file does not exist\n"
    );
    fs::remove_dir_all(h.0.join("queue")).unwrap();
    let (code, _, err) = run(&h);
    assert_eq!(code, 111);
    assert_eq!(
        err,
        "qmail-tcpok: fatal: unable to chdir to /var/qmail/queue/lock: file does not exist\n"
    );
}
