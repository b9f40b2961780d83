//! The end-to-end harness. Each `Sandbox` is a temporary directory that is bind-mounted
//! over `/var/qmail` inside a private mount namespace (`unshare -m`) for every command the
//! test runs there, so tests run in parallel and never touch the machine's real
//! `/var/qmail`. The tree is installed by the project's own installer (`qmail-setup`)
//! with the real qmail users, so owners, modes and the setuid bit are the real ones.
//!
//! Binaries come from `QMAIL_BIN_DIR`, or else from the cargo target directory the test
//! itself was built in.
#![forbid(unsafe_code)]
// A harness reports trouble by failing the test that called it.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::new_without_default
)]

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

pub use qmail_core::auto::QMAIL;

pub mod home;
mod install;
pub mod netns;
pub mod smtptls;
pub mod tcpto;

pub use home::{
    feed, gid_of, install_program, run, run_fd01, script, FakeQueue, Home, Receiver, TempDir,
};

/// The directory holding the built programs.
pub fn bin_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("QMAIL_BIN_DIR") {
        return PathBuf::from(d);
    }
    // target/<profile>/deps/<test binary>
    let exe = std::env::current_exe().expect("current_exe");
    let mut dir = exe.parent().expect("deps dir").to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir
}

/// The repository root (for man pages and conf/).
pub fn src_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A private qmail installation.
pub struct Sandbox {
    root: PathBuf,
    keep: bool,
}

/// What a command run in the sandbox gave back.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code(),
            stdout: o.stdout,
            stderr: o.stderr,
        }
    }
}

impl Run {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

impl Sandbox {
    /// A fresh installed tree. Must run as root (namespaces, users, chown).
    pub fn new() -> Sandbox {
        assert!(
            nix::unistd::geteuid().is_root(),
            "the e2e tests run as root"
        );
        ensure_mount_point();
        sweep_dead_sandboxes();
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!("qmail-e2e.{}.{n}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).expect("create sandbox");
        fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).expect("chmod sandbox");
        let sb = Sandbox {
            root,
            keep: std::env::var_os("QMAIL_E2E_KEEP").is_some(),
        };
        install::install(&sb);
        sb
    }

    /// The sandbox's directory as seen from outside the namespace.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A path inside the installation, seen from outside (e.g. "queue/todo").
    pub fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.root.join(rel)
    }

    /// A command that runs `argv` inside the namespace with /var/qmail bound to us.
    /// `user` (a login name) runs it with that user's real uid and gid instead of root.
    pub fn command<S: AsRef<OsStr>>(&self, user: Option<&str>, argv: &[S]) -> Command {
        let mut c = Command::new("unshare");
        c.args(["-m", "--propagation", "private", "--", "/bin/sh", "-c"]);
        c.arg(r#"mount --bind "$0" /var/qmail || exit 97; exec "$@""#);
        c.arg(&self.root);
        if let Some(u) = user {
            let pw = nix::unistd::User::from_name(u)
                .ok()
                .flatten()
                .expect("user exists");
            let (uid, gid) = (pw.uid.to_string(), pw.gid.to_string());
            c.args([
                "setpriv",
                "--reuid",
                &uid,
                "--regid",
                &gid,
                "--init-groups",
                "--",
            ]);
        }
        c.args(argv);
        c
    }

    /// Run a shell script inside the namespace (as root); `$QMAIL` is /var/qmail.
    pub fn sh(&self, script: &str) -> Run {
        let mut c = self.command(None, &["/bin/bash", "-c", script]);
        c.env("QMAIL", QMAIL).stdin(Stdio::null());
        c.output().expect("run unshare").into()
    }

    /// Run `argv` with `stdin` as fd 0 and `fd1` (a file the program reads) as fd 1, the
    /// way qmail-queue is called. Output on fd 2 is captured.
    pub fn run_fd01(&self, user: Option<&str>, argv: &[&str], stdin: &[u8], fd1: &[u8]) -> Run {
        let dir = self.scratch();
        let (m, e) = (dir.join("stdin"), dir.join("fd1"));
        fs::write(&m, stdin).expect("write stdin");
        fs::write(&e, fd1).expect("write fd1");
        let mut c = self.command(user, argv);
        c.stdin(fs::File::open(&m).expect("open stdin"));
        c.stdout(fs::File::open(&e).expect("open fd1"));
        c.stderr(Stdio::piped());
        let out = c.output().expect("run");
        let _ = fs::remove_dir_all(&dir);
        out.into()
    }

    /// A scratch directory outside the installation, readable by everybody.
    pub fn scratch(&self) -> PathBuf {
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        // A sibling named <root>.s<N>: Drop finds it by that prefix.
        let d = PathBuf::from(format!("{}.s{n}", self.root.display()));
        fs::create_dir_all(&d).expect("scratch");
        fs::set_permissions(&d, fs::Permissions::from_mode(0o755)).expect("chmod scratch");
        d
    }

    /// Names of the entries of a directory of the installation, sorted.
    pub fn ls(&self, rel: &str) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(self.path(rel))
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    /// Every file below queue/mess (relative paths), sorted.
    pub fn mess_files(&self) -> Vec<String> {
        let mut v = Vec::new();
        for d in self.ls("queue/mess") {
            for f in self.ls(&format!("queue/mess/{d}")) {
                v.push(format!("{d}/{f}"));
            }
        }
        v.sort();
        v
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        let _ = fs::remove_dir_all(&self.root);
        // The scratch directories are siblings named <root>.s<N>.
        let prefix = format!("{}.s", self.root.display());
        if let Ok(rd) = fs::read_dir(std::env::temp_dir()) {
            for e in rd.filter_map(|e| e.ok()) {
                if e.path().display().to_string().starts_with(&prefix) {
                    let _ = fs::remove_dir_all(e.path());
                }
            }
        }
    }
}

/// Sandboxes of test processes that no longer run: a test that aborts never reaches Drop,
/// and each installation is hundreds of megabytes of debug programs. Once per process.
fn sweep_dead_sandboxes() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let Ok(rd) = fs::read_dir(std::env::temp_dir()) else {
            return;
        };
        for e in rd.filter_map(|e| e.ok()) {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(pid) = name
                .strip_prefix("qmail-e2e.")
                .and_then(|r| r.split('.').next())
                .and_then(|p| p.parse::<u32>().ok())
            else {
                continue;
            };
            if !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = fs::remove_dir_all(e.path());
            }
        }
    });
}

/// /var/qmail must exist as a mount point. On a machine without qmail it is created
/// empty (and left empty: nothing is ever written to it from outside a namespace).
fn ensure_mount_point() {
    let p = Path::new(QMAIL);
    if !p.exists() {
        let _ = fs::create_dir_all(p);
    }
}

/// uid of a user by name.
pub fn uid_of(name: &str) -> u32 {
    nix::unistd::User::from_name(name)
        .ok()
        .flatten()
        .map(|u| u.uid.as_raw())
        .expect("user exists")
}

/// A small xorshift generator for tests that act at random moments. The seed is VAR's
/// value when set, else the clock's; it is printed, so `VAR=seed` replays a failed run.
pub struct Rng(u64);

impl Rng {
    // on stdout, which the test harness shows for a failed test
    #[allow(clippy::print_stdout)]
    pub fn seeded(var: &str, what: &str) -> Rng {
        let seed = std::env::var(var)
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or_else(|| {
                let t = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .expect("clock after 1970");
                t.as_secs() ^ u64::from(t.subsec_nanos()) << 20
            })
            .max(1);
        println!("{what}: seed {seed} ({var}={seed} replays it)");
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in 0..n (0 when n is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64().checked_rem(n).unwrap_or(0)
    }

    /// A duration from lo to hi milliseconds.
    pub fn millis(&mut self, lo: u64, hi: u64) -> std::time::Duration {
        std::time::Duration::from_millis(lo.saturating_add(self.below(hi.saturating_sub(lo))))
    }
}

/// An ordinary (non-qmail) user for tests, created when missing, with a home it owns.
/// Once per test process: two useradds of one name at once both succeed, the second
/// replacing the first's entry with a new uid and leaving the home to the first.
pub fn test_user() -> &'static str {
    const NAME: &str = "qmailtest";
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if nix::unistd::User::from_name(NAME).ok().flatten().is_none() {
            let _ = Command::new("useradd")
                .args(["-m", "-s", "/bin/sh", NAME])
                .status();
        }
        let u = nix::unistd::User::from_name(NAME)
            .ok()
            .flatten()
            .expect("useradd qmailtest");
        // a home left by an earlier user of that name (such a race, or userdel without -r)
        let owner = fs::metadata(&u.dir).map(|m| std::os::unix::fs::MetadataExt::uid(&m));
        if owner.is_ok_and(|o| o != u.uid.as_raw()) {
            let st = Command::new("chown")
                .arg("-R")
                .arg(format!("{}:{}", u.uid, u.gid))
                .arg(&u.dir)
                .status()
                .expect("chown");
            assert!(st.success(), "chown -R of {}", u.dir.display());
        }
    });
    NAME
}

/// A long-running program started inside the sandbox's namespace (qmail-start,
/// tcpserver…). It runs in its own session; dropping it sends SIGTERM to that whole
/// process group, waits up to 10 s, then SIGKILLs what is left.
pub struct Daemon {
    child: std::process::Child,
    pub log: PathBuf,
}

impl Daemon {
    /// The pid of the session leader (after `exec`, the daemon itself).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the daemon wrote to stdout and stderr so far.
    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Wait until the log contains `needle` at least `n` times, up to `secs` seconds.
    pub fn wait_log(&self, needle: &str, n: usize, secs: u64) -> bool {
        wait_for(secs, || self.log_text().matches(needle).count() >= n)
    }

    /// Send a signal to the whole process group.
    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), sig);
        }
    }

    /// Send a signal to the session leader only (after `exec`, the daemon itself: e.g.
    /// SIGALRM or SIGHUP to qmail-send, which its children must not get).
    pub fn signal_leader(&self, sig: nix::sys::signal::Signal) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig);
        }
    }

    /// Stop it the way an administrator would: SIGTERM to the daemon itself (qmail-send
    /// then finishes its deliveries and its children leave on EOF), SIGTERM to the rest of
    /// the group after 10 s, SIGKILL after 20 s; then reap it.
    pub fn stop(&mut self) {
        use nix::sys::signal::Signal;
        self.signal_leader(Signal::SIGTERM);
        if wait_for(10, || matches!(self.child.try_wait(), Ok(Some(_)))) {
            return;
        }
        self.signal(Signal::SIGTERM);
        if !wait_for(10, || matches!(self.child.try_wait(), Ok(Some(_)))) {
            self.signal(Signal::SIGKILL);
            let _ = self.child.wait();
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.stop();
        }
        // Children of the group that outlived their leader.
        self.signal(nix::sys::signal::Signal::SIGKILL);
    }
}

impl Sandbox {
    /// Start `script` (bash) inside the namespace in a new session, stdout and stderr to
    /// a log file. Use `exec` for the last command so `pid()` is the daemon's.
    pub fn start(&self, script: &str) -> Daemon {
        let log = self.scratch().join("daemon.log");
        let out = fs::File::create(&log).expect("daemon log");
        let err = out.try_clone().expect("dup log");
        let mut c = Command::new("setsid");
        c.arg("--wait");
        let inner = self.command(None, &["/bin/bash", "-c", script]);
        c.arg(inner.get_program());
        c.args(inner.get_args());
        c.env("QMAIL", QMAIL)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        let child = c.spawn().expect("start daemon");
        Daemon { child, log }
    }

    /// `tcpserver -v` on a free loopback port: `script(port)` is the bash script that
    /// starts it. Waits for tcpserver's first status line; a port taken meanwhile by
    /// another test (`unable to bind`) is retried with another, up to 10 times.
    pub fn start_tcpserver(&self, script: impl Fn(u16) -> String) -> (u16, Daemon) {
        for _ in 0..10 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free loopback port")
                .port();
            let d = self.start(&script(port));
            wait_for(10, || {
                let l = d.log_text();
                l.contains("status: 0/") || l.contains("unable to bind")
            });
            if d.log_text().contains("status: 0/") {
                return (port, d);
            }
        }
        panic!("tcpserver did not start");
    }

    /// qmail-start as the boot scripts run it: `env - PATH=… qmail-start DEFAULTDELIVERY`,
    /// with qmail-send's log in the returned daemon's log. Waits for its first status line.
    /// A qmail-send killed a moment ago may leave a qmail-todo that is still dying (in an
    /// fsync) and holds lock/sendmutex: the new one then exits "already running" and is
    /// started again, as supervise would, for up to 20 s.
    pub fn start_send(&self, defaultdelivery: &str) -> Daemon {
        let start = std::time::Instant::now();
        loop {
            let d = self.start(&format!(
                "cd / && exec env - PATH=/var/qmail/bin:/usr/bin:/bin qmail-start '{defaultdelivery}'"
            ));
            let up = wait_for(20, || {
                let l = d.log_text();
                l.contains("status: local") || l.contains("is already running")
            });
            let log = d.log_text();
            let retry = log.contains("is already running") && !log.contains("status: local");
            if retry && start.elapsed() < std::time::Duration::from_secs(20) {
                drop(d);
                std::thread::sleep(std::time::Duration::from_millis(100));
                continue;
            }
            assert!(
                up && log.contains("status: local"),
                "qmail-send did not start: {log}"
            );
            return d;
        }
    }

    /// Wait until the queue holds no message (mess/ and todo/ empty), up to `secs`.
    pub fn wait_queue_empty(&self, secs: u64) -> bool {
        wait_for(secs, || {
            self.mess_files().is_empty() && self.ls("queue/todo").is_empty()
        })
    }

    /// Write a control file (one line per entry).
    pub fn control(&self, name: &str, lines: &[&str]) {
        let mut text = lines.join("\n");
        if !lines.is_empty() {
            text.push('\n');
        }
        let p = self.path("control").join(name);
        fs::write(&p, text).expect("write control file");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).expect("chmod control");
    }
}

/// Poll `cond` every 50 ms for up to `secs` seconds.
pub fn wait_for(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if cond() {
            return true;
        }
        if std::time::Instant::now() >= end {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A private mailbox owner for one test: the ordinary test user, with a home directory
/// in the sandbox's scratch space, reached as `local@<me>` through users/assign (so
/// parallel tests never share a Maildir). Returns the home directory (outside view).
pub fn mailbox(sb: &Sandbox, local: &str) -> PathBuf {
    let user = test_user();
    let pw = nix::unistd::User::from_name(user)
        .ok()
        .flatten()
        .expect("test user");
    let home = sb.scratch().join(format!("home-{local}"));
    fs::create_dir_all(home.join("Maildir/new")).expect("home");
    fs::create_dir_all(home.join("Maildir/cur")).expect("home");
    fs::create_dir_all(home.join("Maildir/tmp")).expect("home");
    let st = Command::new("chown")
        .args(["-R", &format!("{}:{}", pw.uid, pw.gid)])
        .arg(&home)
        .status()
        .expect("chown");
    assert!(st.success());
    fs::set_permissions(&home, fs::Permissions::from_mode(0o755)).expect("chmod home");
    let assign = sb.path("users/assign");
    let mut text = fs::read_to_string(&assign).unwrap_or_default();
    if let Some(stripped) = text.strip_suffix(".\n") {
        text = stripped.to_string();
    }
    text.push_str(&format!(
        "={local}:{user}:{}:{}:{}:::\n+{local}-:{user}:{}:{}:{}:-::\n.\n",
        pw.uid,
        pw.gid,
        home.display(),
        pw.uid,
        pw.gid,
        home.display()
    ));
    fs::write(&assign, text).expect("users/assign");
    let r = sb.sh("/var/qmail/bin/qmail-newu");
    assert_eq!(r.code, Some(0), "qmail-newu: {}", r.stderr_str());
    home
}

/// The messages in a Maildir's new/ (contents), sorted.
pub fn maildir_messages(maildir: &Path) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = fs::read_dir(maildir.join("new"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| fs::read(e.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}
