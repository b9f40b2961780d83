//! A light harness for one program's black-box tests: a bare temporary qmail home
//! (nothing installed, no qmail-setup) bind-mounted over `/var/qmail` in a private mount
//! namespace, a fake `$QMAILQUEUE` that records what it is given, and ways to run a
//! program with given bytes on fd 0 (and fd 1). Needs root and unshare(1).

use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::{ensure_mount_point, Run, QMAIL};

static SEQ: AtomicU32 = AtomicU32::new(0);

/// Panics unless the tests run as root (namespaces, mounts, chown).
pub fn require_root() {
    assert!(nix::unistd::geteuid().is_root(), "these tests run as root");
}

/// gid of a group by name.
pub fn gid_of(name: &str) -> u32 {
    nix::unistd::Group::from_name(name)
        .ok()
        .flatten()
        .map(|g| g.gid.as_raw())
        .expect("group exists")
}

/// A fresh empty temporary directory, removed (with what is in it) on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// `tag` names it for whoever looks in /tmp; each call gets its own directory.
    pub fn new(tag: &str) -> TempDir {
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let d = std::env::temp_dir().join(format!("qmail-t.{tag}.{}.{n}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).expect("create temporary directory");
        TempDir(d)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Write a file inside, making its directory first; returns its path.
    pub fn write(&self, rel: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.0.join(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).expect("mkdir in temporary directory");
        }
        fs::write(&p, contents).expect("write in temporary directory");
        p
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A bare qmail home: an empty temporary directory that `command` binds over /var/qmail.
/// The test makes the parts it needs (`control`, `mkdir`, `write`).
pub struct Home {
    dir: TempDir,
}

impl Home {
    pub fn new(tag: &str) -> Home {
        require_root();
        ensure_mount_point();
        Home {
            dir: TempDir::new(tag),
        }
    }

    /// The home as seen from outside the namespace.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A path inside the home, seen from outside (e.g. "queue/lock/tcpto").
    pub fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.dir.join(rel)
    }

    /// Make a directory (and its parents) inside the home; returns its path.
    pub fn mkdir(&self, rel: impl AsRef<Path>) -> PathBuf {
        let p = self.path(rel);
        fs::create_dir_all(&p).expect("mkdir in home");
        p
    }

    /// Write a file inside the home, making its directory first; returns its path.
    pub fn write(&self, rel: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        self.dir.write(rel, contents)
    }

    /// Write control/`name`.
    pub fn control(&self, name: &str, text: &str) {
        self.write(Path::new("control").join(name), text);
    }

    /// Remove control/`name`, which must exist.
    pub fn rm_control(&self, name: &str) {
        fs::remove_file(self.path("control").join(name)).expect("remove control file");
    }

    /// A command running `program` inside a private mount namespace where the home is
    /// /var/qmail. The environment is inherited; add arguments with `.arg`/`.args`.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        self.command_with(&[], program)
    }

    /// `command` in a private network namespace too (only a loopback, still down).
    pub fn netns_command(&self, program: impl AsRef<OsStr>) -> Command {
        self.command_with(&["-n"], program)
    }

    fn command_with(&self, unshare: &[&str], program: impl AsRef<OsStr>) -> Command {
        let mut c = Command::new("unshare");
        c.args(["-m", "--propagation", "private"]);
        c.args(unshare);
        c.args(["--", "/bin/sh", "-c"]);
        c.arg(format!(
            r#"mount --bind "$0" {QMAIL} || exit 97; exec "$@""#
        ));
        c.arg(self.dir.path());
        c.arg(program);
        c
    }

    /// `command` with an empty environment but for PATH=/usr/bin:/bin.
    pub fn bare_command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut c = self.command(program);
        c.env_clear().env("PATH", "/usr/bin:/bin");
        c
    }
}

/// The home's directory, seen from outside (`home.join("queue")`).
impl std::ops::Deref for Home {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.dir
    }
}

impl AsRef<Path> for Home {
    fn as_ref(&self) -> &Path {
        &self.dir
    }
}

/// Make `path` an executable (0755) script with `text`, and its directory if need be (see
/// `install_program`).
pub fn script(path: impl AsRef<Path>, text: &str) {
    let p = path.as_ref();
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).expect("mkdir for script");
    }
    let mut draft = p.as_os_str().to_owned();
    draft.push(".draft");
    let draft = PathBuf::from(draft);
    fs::write(&draft, text).expect("write script");
    install_program(&draft, p);
    fs::remove_file(&draft).expect("remove script draft");
}

/// Copy the program `from` to `to` with mode 0755, by install(1). The copy is thus never
/// open for writing in this multi-threaded test process: a child that another test forks
/// meanwhile would hold that descriptor until it execs, and running the copy would fail
/// with ETXTBSY (exit 126 from a shell).
pub fn install_program(from: impl AsRef<Path>, to: impl AsRef<Path>) {
    let st = Command::new("install")
        .arg("-m")
        .arg("0755")
        .arg(from.as_ref())
        .arg(to.as_ref())
        .status()
        .expect("run install");
    assert!(st.success(), "install {}", to.as_ref().display());
}

/// Run `c` with `input` on fd 0 (then end of file), capturing fd 1 and fd 2. The input is
/// written from a thread, so a program that answers before it has read all still works,
/// and one that stops reading early does not hang the test.
pub fn feed(c: &mut Command, input: &[u8]) -> Run {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin pipe");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer thread");
    out.into()
}

/// Run `c` with `stdin` as fd 0 and `fd1` as fd 1 (a file the program reads: the way
/// qmail-queue takes its envelope). fd 2 is captured in `Run::stderr`.
pub fn run_fd01(c: &mut Command, stdin: &[u8], fd1: &[u8]) -> Run {
    let dir = TempDir::new("fds");
    let (m, e) = (dir.join("stdin"), dir.join("fd1"));
    fs::write(&m, stdin).expect("write stdin");
    fs::write(&e, fd1).expect("write fd1");
    c.stdin(fs::File::open(&m).expect("open stdin"));
    c.stdout(fs::File::open(&e).expect("open fd1"));
    c.stderr(Stdio::piped());
    c.output().expect("run").into()
}

impl Run {
    /// The exit code, or -1 when the program was killed by a signal.
    pub fn exit(&self) -> i32 {
        self.code.unwrap_or(-1)
    }

    /// (exit code, stdout followed by stderr as text).
    pub fn combined(&self) -> (i32, String) {
        (self.exit(), self.stdout_str() + &self.stderr_str())
    }

    /// (exit code, stdout, stderr) as text, for one `assert_eq!`.
    pub fn texts(&self) -> (i32, String, String) {
        (self.exit(), self.stdout_str(), self.stderr_str())
    }
}

/// Run `c` with fd 0 at end of file, capturing fd 1 and fd 2.
pub fn run(c: &mut Command) -> Run {
    c.stdin(Stdio::null()).output().expect("run").into()
}

/// Records the message (fd 0) to mess.N and the envelope (fd 1) to env.N in its own
/// directory; writes $QQ_ERR (when set) to fd 6, notqmail's custom error text; exits
/// $QQ_EXIT (default 0).
const RECORD_ALL: &str = "#!/bin/sh\nn=$$\ncat > \"$QQ_REC/mess.$n\"\ncat <&1 > \"$QQ_REC/env.$n\"\n[ -z \"${QQ_ERR:-}\" ] || printf \"$QQ_ERR\" >&6\nexit ${QQ_EXIT:-0}\n";

/// Like qmail-queue, keeps a message only when its envelope ended with the final NUL
/// (else exit 54); then exits $QQ_EXIT, keeping the message only when that is 0.
const RECORD_COMPLETE: &str = r#"#!/bin/sh
exec 2>/dev/null
n=$$
cat > "$QQ_REC/.mess.$n" || exit 54
cat <&1 > "$QQ_REC/.env.$n" || exit 54
end=$(tail -c 2 "$QQ_REC/.env.$n" | od -An -tx1 | tr -d ' \n')
if [ "$end" != 0000 ]; then rm -f "$QQ_REC/.mess.$n" "$QQ_REC/.env.$n"; exit 54; fi
[ "${QQ_EXIT:-0}" = 0 ] || exit "$QQ_EXIT"
mv "$QQ_REC/.mess.$n" "$QQ_REC/mess.$n"; mv "$QQ_REC/.env.$n" "$QQ_REC/env.$n"
"#;

/// A stand-in for qmail-queue, named to the program under test by $QMAILQUEUE.
pub struct FakeQueue {
    dir: TempDir,
}

impl FakeQueue {
    /// Records every run, whatever its envelope.
    pub fn new() -> FakeQueue {
        FakeQueue::with(RECORD_ALL)
    }

    /// Records only messages whose envelope was complete.
    pub fn strict() -> FakeQueue {
        FakeQueue::with(RECORD_COMPLETE)
    }

    /// For one run: records its pid to `pid`, the message to `mess` and the envelope to
    /// `env` (see `read`), then exits `exit`.
    pub fn once(exit: u8) -> FakeQueue {
        let dir = TempDir::new("fake-qq");
        let d = dir.display();
        script(
            dir.join("fake-qq"),
            &format!(
                "#!/bin/sh\necho $$ > {d}/pid\ncat > {d}/mess\ncat 0<&1 > {d}/env\nexit {exit}\n"
            ),
        );
        FakeQueue { dir }
    }

    /// The directory the script lives in; a `once` queue records there.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A file a `once` queue wrote ("pid", "mess", "env").
    pub fn read(&self, name: &str) -> Vec<u8> {
        fs::read(self.dir.join(name)).expect("read what the fake queue recorded")
    }

    /// Whether a `once` queue got a message.
    pub fn queued(&self) -> bool {
        self.dir.join("mess").exists()
    }

    fn with(text: &str) -> FakeQueue {
        let dir = TempDir::new("fake-qq");
        fs::create_dir_all(dir.join("rec")).expect("mkdir rec");
        script(dir.join("fake-qq"), text);
        FakeQueue { dir }
    }

    /// The script's path (for $QMAILQUEUE).
    pub fn program(&self) -> PathBuf {
        self.dir.join("fake-qq")
    }

    /// Set $QMAILQUEUE (and $QQ_REC, where the script records) for `c`.
    pub fn env<'a>(&self, c: &'a mut Command) -> &'a mut Command {
        c.env("QMAILQUEUE", self.program())
            .env("QQ_REC", self.dir.join("rec"))
    }

    /// (message, envelope) of every message recorded, sorted.
    pub fn recorded(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let rec = self.dir.join("rec");
        let mut out = Vec::new();
        for e in fs::read_dir(&rec).expect("read rec") {
            let name = e.expect("rec entry").file_name();
            let name = name.to_string_lossy();
            if let Some(n) = name.strip_prefix("mess.") {
                let m = fs::read(rec.join(&*name)).expect("read mess");
                let env = fs::read(rec.join(format!("env.{n}"))).unwrap_or_default();
                out.push((m, env));
            }
        }
        out.sort();
        out
    }
}

/// The setting of a program that takes mail in and hands it to qmail-queue (qmail-smtpd,
/// qmail-qmtpd, qmail-qmqpd): a bare home and a fake queue.
pub struct Receiver {
    pub home: Home,
    pub qq: FakeQueue,
}

impl Receiver {
    pub fn new(tag: &str, qq: FakeQueue) -> Receiver {
        Receiver {
            home: Home::new(tag),
            qq,
        }
    }

    /// The command for `program` in the home, with a bare environment, the fake queue
    /// and `env`.
    pub fn command(&self, program: &str, env: &[(&str, &str)]) -> Command {
        let mut c = self.home.bare_command(program);
        self.qq.env(&mut c).envs(env.iter().copied());
        c
    }

    /// Run `program` with `input` on fd 0; see `feed`.
    pub fn session(&self, program: &str, env: &[(&str, &str)], input: &[u8]) -> Run {
        feed(&mut self.command(program, env), input)
    }
}

/// The program `name` (of the package of the same name) from the target directory of
/// `me` (a `CARGO_BIN_EXE_…` path), built first: Cargo builds only the binaries of the
/// package under test.
pub fn sibling(me: &str, name: &str) -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "-q", "-p", name])
        .status()
        .expect("run cargo build");
    assert!(status.success(), "cargo build -p {name}");
    Path::new(me).parent().expect("target directory").join(name)
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// Wait (10 s at the most) until something accepts connections on 127.0.0.1:`port`.
pub fn wait_listening(port: u16) {
    assert!(
        crate::wait_for(10, || std::net::TcpStream::connect(("127.0.0.1", port))
            .is_ok()),
        "nothing listens on 127.0.0.1:{port}"
    );
}
