//! Black-box: splogger writes to a datagram socket bind-mounted over /dev/log in a private
//! mount namespace.
#![allow(clippy::unwrap_used)]
use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn messages_reach_dev_log() {
    let dir = std::env::temp_dir().join(format!("splogger-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sockpath = dir.join("log");
    let sock = UnixDatagram::bind(&sockpath).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let script = format!(
        "mount -t tmpfs tmpfs /dev && touch /dev/log && mount --bind '{}' /dev/log && exec '{}' qmail 3",
        sockpath.display(),
        env!("CARGO_BIN_EXE_splogger")
    );
    let mut child = Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"new msg 5\nwarning: trouble\n")
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let mut buf = [0u8; 2048];
    let mut got = Vec::new();
    for _ in 0..2 {
        let n = sock.recv(&mut buf).unwrap();
        got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    // facility 3 << 3 = 24: info 30, warning 28.
    let re = |s: &str, pre: &str, post: &str| {
        let rest = s.strip_prefix(pre).unwrap_or_else(|| panic!("{s}"));
        let (stamp, text) = rest.split_once(' ').unwrap();
        let (sec, usec) = stamp.split_once('.').unwrap();
        assert!(sec.parse::<u64>().is_ok() && usec.len() == 6, "{s}");
        assert_eq!(text, post);
    };
    re(&got[0], "<30>qmail: ", "new msg 5");
    re(&got[1], "<28>qmail: ", "warning: trouble");
}
