//! POP3 sessions over TCP: tcpserver (ucspi-tcp) on 127.0.0.1 and a free port runs
//! qmail-popup, which hands the login to a checkpassword program of the tests' own
//! (tests/checkpassword.py: one user, setpriv to an unprivileged uid, chdir home), which
//! runs qmail-pop3d on the user's Maildir. Clients: Python's poplib, and raw sockets where
//! the exact bytes matter. Needs root, tcpserver, setpriv and python3.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::sys::time::TimeVal;

/// The mailbox owner: any unprivileged uid will do, it needs no passwd entry.
const UID: u32 = 43_210;

/// qmail-popup from the same target directory (built on demand: Cargo only names the
/// binaries of the package under test).
fn popup() -> PathBuf {
    qmail_e2e::home::sibling(env!("CARGO_BIN_EXE_qmail-pop3d"), "qmail-popup")
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

struct Server {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Server {
    /// A home with an empty Maildir, and tcpserver running the POP3 service.
    fn start(tag: &str, env: &[(&str, &str)]) -> Server {
        let dir = std::env::temp_dir().join(format!("pop3-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let home = dir.join("home");
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(home.join("Maildir").join(sub)).unwrap();
        }
        let status = Command::new("chown")
            .args(["-R", &format!("{UID}:{UID}"), home.to_str().unwrap()])
            .status()
            .unwrap();
        assert!(status.success());
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let port = qmail_e2e::home::free_port();
        let cp = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/checkpassword.py");
        let mut c = Command::new("tcpserver");
        c.args([
            "-q",
            "-H",
            "-R",
            "-l",
            "pop.test",
            "127.0.0.1",
            &port.to_string(),
        ])
        .arg(popup())
        .arg("pop.test")
        .arg(cp)
        .arg(env!("CARGO_BIN_EXE_qmail-pop3d"))
        .arg("Maildir")
        .env_clear()
        .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin")
        .env("CP_USER", "joe")
        .env("CP_PASS", "secret")
        .env("CP_UID", UID.to_string())
        .env("CP_HOME", &home)
        .env("CP_LOG", dir.join("cp.log"))
        .stdin(Stdio::null());
        for (k, v) in env {
            c.env(k, v);
        }
        let child = c.spawn().unwrap();
        let s = Server { child, port, dir };
        qmail_e2e::home::wait_listening(port);
        s
    }

    fn maildir(&self) -> PathBuf {
        self.dir.join("home/Maildir")
    }

    /// A message file with the given age in seconds.
    fn put(&self, name: &str, text: &[u8], age: i64) {
        let path = self.maildir().join(name);
        std::fs::write(&path, text).unwrap();
        let t = TimeVal::new(now() - age, 0);
        nix::sys::stat::utimes(&path, &t, &t).unwrap();
        nix::unistd::chown(&path, Some(UID.into()), Some(UID.into())).unwrap();
    }

    fn files(&self, sub: &str) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.maildir().join(sub))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    }

    /// Run a Python client script (PORT in its environment); its stdout.
    fn python(&self, script: &str) -> String {
        let out = Command::new("/usr/bin/python3")
            .args(["-c", script])
            .env("PORT", self.port.to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Send `input` at once, then read until the server closes.
    fn raw(&self, input: &[u8]) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s.write_all(input).unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        String::from_utf8_lossy(&out).to_string()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("cp.log")).unwrap_or_default()
    }
}

/// `+OK <PID.TIME@pop.test>\r\n`; returns the `<…>` part and the rest.
fn greeting(out: &str) -> (String, String) {
    let (first, rest) = out.split_once("\r\n").unwrap();
    let stamp = first.strip_prefix("+OK ").unwrap();
    let inner = stamp
        .strip_prefix('<')
        .unwrap()
        .strip_suffix("@pop.test>")
        .unwrap();
    let (pid, time) = inner.split_once('.').unwrap();
    assert!(
        pid.parse::<u32>().is_ok() && time.parse::<u64>().is_ok(),
        "{first}"
    );
    (stamp.to_string(), rest.to_string())
}

const M1: &[u8] = b"From: a@example\nSubject: one\n\nbody one\n.dotline\nlast\n";
const M2: &[u8] = b"Subject: two\n\nl1\nl2\nl3\n";
const M3: &[u8] = b"Subject: three\n\nthree";

fn three(s: &Server) {
    s.put("new/111.host", M1, 300);
    s.put("cur/222.host:2,S", M2, 200);
    s.put("new/333.host", M3, 100);
}

const SESSION: &str = r#"
import os, poplib
p = poplib.POP3("127.0.0.1", int(os.environ["PORT"]))
print(p.user("joe"), p.pass_("secret"))
print(p.stat())
print(p.list())
print(p.uidl())
print(p.list(2), p.uidl(3))
print(p.retr(1)[1])
print(p.top(2, 1)[1])
print(p.top(1, 0)[1])
print(p.dele(1))
try:
    p.retr(1)
except poplib.error_proto as e:
    print(e)
print(p.stat())
print(p.rset())
print(p.dele(3))
print(p.noop())
print(p.quit())
"#;

#[test]
fn poplib_session_with_deletion_at_quit() {
    let s = Server::start("session", &[]);
    three(&s);
    let out = s.python(SESSION);
    let expect = [
        "b'+OK ' b'+OK '",
        "(3, 97)",
        "(b'+OK ', [b'1 53', b'2 23', b'3 21'], 18)",
        "(b'+OK ', [b'1 111.host', b'2 222.host', b'3 333.host'], 36)",
        "b'+OK 2 23' b'+OK 3 333.host'",
        "[b'From: a@example', b'Subject: one', b'', b'body one', b'.dotline', b'last', b'']",
        "[b'Subject: two', b'', b'l1', b'']",
        "[b'From: a@example', b'Subject: one', b'', b'']",
        "b'+OK '",
        "b'-ERR already deleted'",
        "(3, 44)",
        "b'+OK '",
        "b'+OK '",
        "b'+OK '",
        "b'+OK '",
    ];
    assert_eq!(out.lines().collect::<Vec<_>>(), expect);
    // Deleted at QUIT; the message still in new/ is now seen.
    assert_eq!(s.files("new"), Vec::<String>::new());
    assert_eq!(s.files("cur"), vec!["111.host:2,", "222.host:2,S"]);
    assert_eq!(
        std::fs::read(s.maildir().join("cur/111.host:2,")).unwrap(),
        M1
    );
}

#[test]
fn bad_password_and_no_quit_change_nothing() {
    let s = Server::start("badpass", &[]);
    three(&s);
    let out = s.python(
        r#"
import os, poplib
p = poplib.POP3("127.0.0.1", int(os.environ["PORT"]))
p.user("joe")
try:
    p.pass_("wrong")
except poplib.error_proto as e:
    print(e)
p = poplib.POP3("127.0.0.1", int(os.environ["PORT"]))
p.user("joe"); p.pass_("secret"); print(p.dele(1), p.dele(2))
p.sock.close()
"#,
    );
    assert_eq!(out, "b'-ERR authorization failed'\nb'+OK ' b'+OK '\n");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(s.files("new"), vec!["111.host", "333.host"]);
    assert_eq!(s.files("cur"), vec!["222.host:2,S"]);
}

#[test]
fn apop_login() {
    let s = Server::start("apop", &[]);
    three(&s);
    let out = s.python(
        r#"
import os, poplib
p = poplib.POP3("127.0.0.1", int(os.environ["PORT"]))
print(p.apop("joe", "secret"))
print(p.stat())
p.quit()
p = poplib.POP3("127.0.0.1", int(os.environ["PORT"]))
try:
    p.apop("joe", "wrong")
except poplib.error_proto as e:
    print(e)
"#,
    );
    assert_eq!(out, "b'+OK '\n(3, 97)\nb'-ERR authorization failed'\n");
}

#[test]
fn authorization_state_replies() {
    let s = Server::start("auth", &[]);
    let out =
        s.raw(b"NOOP\r\nSTAT\r\nPASS x\r\nUSER\r\nuser joe\r\npass\r\nAPOP joe\r\n\r\nquit\r\n");
    let (_, rest) = greeting(&out);
    assert_eq!(
        rest,
        "+OK \r\n-ERR authorization first\r\n-ERR USER first\r\n-ERR syntax error\r\n+OK \r\n\
         -ERR syntax error\r\n-ERR syntax error\r\n-ERR authorization first\r\n+OK \r\n"
    );
}

#[test]
fn pipelined_login_reaches_qmail_pop3d_and_stamp_is_passed() {
    let s = Server::start("pipeline", &[]);
    three(&s);
    let out = s.raw(b"USER joe\r\nPASS secret\r\nSTAT\r\nLAST\r\nDELE 2\r\nLAST\r\nLIST 9\r\nTOP 3 0\r\nFOO\r\nQUIT\r\n");
    let (stamp, rest) = greeting(&out);
    assert_eq!(
        rest,
        "+OK \r\n+OK \r\n+OK 3 97\r\n+OK 0\r\n+OK \r\n+OK 2\r\n-ERR not that many messages\r\n\
         +OK \r\nSubject: three\r\n\r\n\r\n.\r\n-ERR unimplemented\r\n+OK \r\n"
    );
    assert_eq!(s.log(), format!("fields=4 user=joe stamp={stamp}\n"));
    assert_eq!(s.files("cur"), vec!["111.host:2,", "333.host:2,"]);
}

#[test]
fn transfer_bytes_are_exact() {
    let s = Server::start("bytes", &[]);
    s.put("new/1.host", b"A: b\n\n.\n..x\nmid\r\nno newline", 10);
    let out = s.raw(b"USER joe\r\nPASS secret\r\nRETR 1\r\nQUIT\r\n");
    let (_, rest) = greeting(&out);
    assert_eq!(
        rest,
        "+OK \r\n+OK \r\n+OK \r\nA: b\r\n\r\n..\r\n...x\r\nmid\r\r\nno newline\r\n\r\n.\r\n+OK \r\n"
    );
}

#[test]
fn vanished_files() {
    let s = Server::start("vanish", &[]);
    three(&s);
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut buf = [0u8; 4096];
    let mut said = |c: &mut TcpStream, line: &[u8]| -> String {
        c.write_all(line).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let n = c.read(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).to_string()
    };
    let _ = said(&mut c, b"USER joe\r\n");
    assert_eq!(said(&mut c, b"PASS secret\r\n"), "+OK \r\n");
    assert_eq!(said(&mut c, b"DELE 1\r\n"), "+OK \r\n");
    std::fs::remove_file(s.maildir().join("new/111.host")).unwrap();
    std::fs::remove_file(s.maildir().join("new/333.host")).unwrap();
    assert_eq!(
        said(&mut c, b"RETR 3\r\n"),
        "-ERR unable to open that message\r\n"
    );
    assert_eq!(
        said(&mut c, b"QUIT\r\n"),
        "-ERR unable to unlink all deleted messages\r\n+OK \r\n"
    );
    assert_eq!(s.files("cur"), vec!["222.host:2,S"]);
}

#[test]
fn never_as_root_and_child_trouble() {
    let s = Server::start("root", &[("CP_MODE", "root")]);
    let (_, rest) = greeting(&s.raw(b"USER joe\r\nPASS secret\r\n"));
    // qmail-popup gives its children the client as descriptor 2 too.
    assert_eq!(
        rest,
        "+OK \r\nqmail-pop3d invoked as uid 0, terminating\n-ERR authorization failed\r\n"
    );
    drop(s);
    let s = Server::start("crash", &[("CP_MODE", "crash")]);
    let (_, rest) = greeting(&s.raw(b"USER joe\r\nPASS secret\r\n"));
    assert_eq!(rest, "+OK \r\n-ERR aack, child crashed\r\n");
}

#[test]
fn ten_thousand_messages() {
    let s = Server::start("10k", &[]);
    let t0 = Instant::now();
    for i in 0..10_000 {
        let sub = if i % 2 == 0 { "new" } else { "cur" };
        let name = format!(
            "{sub}/{:05}.msg.host{}",
            i,
            if sub == "cur" { ":2,S" } else { "" }
        );
        let path = s.maildir().join(&name);
        std::fs::write(&path, format!("Subject: {i}\n\nbody {i}\n")).unwrap();
        let t = TimeVal::new(now() - 100_000 + i64::from(i), 0);
        nix::sys::stat::utimes(&path, &t, &t).unwrap();
    }
    Command::new("chown")
        .args(["-R", &format!("{UID}:{UID}"), s.maildir().to_str().unwrap()])
        .status()
        .unwrap();
    println!("created 10,000 messages in {:?}", t0.elapsed());
    let t1 = Instant::now();
    let out = s.python(
        r#"
import os, poplib
p = poplib.POP3("127.0.0.1", int(os.environ["PORT"]))
p.user("joe"); p.pass_("secret")
print(p.stat())
l = p.list()[1]; u = p.uidl()[1]
print(len(l), l[0], l[-1], u[0], u[-1])
print(p.retr(10000)[1])
print(p.dele(5000), p.quit())
"#,
    );
    let took = t1.elapsed();
    println!("login, STAT, LIST, UIDL, RETR, DELE, QUIT over 10,000 messages: {took:?}");
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "(10000, 247780)",
            "10000 b'1 19' b'10000 25' b'1 00000.msg.host' b'10000 09999.msg.host'",
            "[b'Subject: 9999', b'', b'body 9999', b'']",
            "b'+OK ' b'+OK '",
        ]
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(s.files("new").len(), 0);
    assert_eq!(s.files("cur").len(), 9_999);
}
