//! Black-box harness: runs the real qmail-local as an ordinary user (tests run as root)
//! in a fresh home directory, with a seekable message file on fd 0.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs::{self, File};
use std::os::unix::fs::{chown, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Once, OnceLock};

pub const USER: &str = "qltest";
pub const BIN: &str = env!("CARGO_BIN_EXE_qmail-local");

static USER_ONCE: Once = Once::new();
static BIN_FOR_USER: OnceLock<PathBuf> = OnceLock::new();
static SEQ: AtomicU32 = AtomicU32::new(0);

/// uid and gid of the test user, created on first use.
pub fn ids() -> (u32, u32) {
    USER_ONCE.call_once(|| {
        if nix::unistd::User::from_name(USER).unwrap().is_none() {
            let st = Command::new("useradd")
                .args(["-M", "-d", "/nonexistent", "-s", "/usr/sbin/nologin", USER])
                .status()
                .expect("useradd");
            assert!(st.success() || nix::unistd::User::from_name(USER).unwrap().is_some());
        }
    });
    let u = nix::unistd::User::from_name(USER)
        .unwrap()
        .expect("test user");
    (u.uid.as_raw(), u.gid.as_raw())
}

/// qmail-local runs as the test user, who must reach the program: a checkout under a
/// directory others cannot search (root's home, mode 700) gets a copy under /tmp.
fn bin_for_user() -> &'static Path {
    BIN_FOR_USER.get_or_init(|| {
        let bin = PathBuf::from(BIN);
        let reachable = bin
            .ancestors()
            .skip(1)
            .all(|d| fs::metadata(d).is_ok_and(|m| m.permissions().mode() & 0o001 != 0));
        if reachable {
            return bin;
        }
        let dir = PathBuf::from(format!("/tmp/qmail-local-test-bin.{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        let copy = dir.join("qmail-local");
        fs::copy(&bin, &copy).unwrap();
        copy
    })
}

pub struct Home {
    pub dir: PathBuf,
    pub uid: u32,
    pub gid: u32,
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

pub struct Run {
    pub code: i32,
    pub out: String,
}

impl Home {
    pub fn new() -> Home {
        let (uid, gid) = ids();
        let n = SEQ.fetch_add(1, Ordering::SeqCst);
        let dir = PathBuf::from(format!("/tmp/qmail-local-test.{}.{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        chown(&dir, Some(uid), Some(gid)).unwrap();
        Home { dir, uid, gid }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// A file owned by the user with the given mode.
    pub fn put(&self, name: &str, contents: &str, mode: u32) {
        let p = self.path(name);
        fs::write(&p, contents).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
        chown(&p, Some(self.uid), Some(self.gid)).unwrap();
    }

    /// `.qmail<suffix>` with one instruction per line, mode 0644.
    pub fn dotq(&self, suffix: &str, lines: &[&str]) {
        let mut s = lines.join("\n");
        s.push('\n');
        self.put(&format!(".qmail{suffix}"), &s, 0o644);
    }

    pub fn maildir(&self, name: &str) {
        for d in ["", "/tmp", "/new", "/cur"] {
            let p = self.path(&format!("{name}{d}"));
            fs::create_dir(&p).unwrap();
            fs::set_permissions(&p, fs::Permissions::from_mode(0o700)).unwrap();
            chown(&p, Some(self.uid), Some(self.gid)).unwrap();
        }
    }

    /// The messages in a Maildir's new/, sorted by name, and the count in tmp/.
    pub fn maildir_messages(&self, name: &str) -> Vec<(String, Vec<u8>, u32)> {
        let tmp = fs::read_dir(self.path(&format!("{name}/tmp")))
            .unwrap()
            .count();
        assert_eq!(tmp, 0, "tmp/ of {name} not empty");
        let mut v: Vec<_> = fs::read_dir(self.path(&format!("{name}/new")))
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let mode = e.metadata().unwrap().permissions().mode() & 0o7777;
                (
                    e.file_name().into_string().unwrap(),
                    fs::read(e.path()).unwrap(),
                    mode,
                )
            })
            .collect();
        v.sort();
        v
    }

    /// qmail-local as the user: `local` and `ext` for dash "-" (dash "" when ext is None).
    pub fn deliver(
        &self,
        opts: &[&str],
        local: &str,
        ext: Option<&str>,
        sender: &str,
        dd: &str,
        msg: &str,
    ) -> Run {
        self.deliver_env(opts, local, ext, "example.com", sender, dd, msg, &[])
    }

    #[allow(clippy::too_many_arguments)]
    pub fn deliver_env(
        &self,
        opts: &[&str],
        local: &str,
        ext: Option<&str>,
        domain: &str,
        sender: &str,
        dd: &str,
        msg: &str,
        env: &[(&str, &str)],
    ) -> Run {
        // qmail-lspawn gives qmail-local one pipe for stdout and stderr: so does this.
        let opath = self.path(&format!("out.{}", SEQ.fetch_add(1, Ordering::SeqCst)));
        let ofile = File::create(&opath).unwrap();
        let status = self
            .command(opts, local, ext, domain, sender, dd, msg, env)
            .stdout(Stdio::from(ofile.try_clone().unwrap()))
            .stderr(Stdio::from(ofile))
            .status()
            .unwrap();
        let out = fs::read(&opath).unwrap();
        fs::remove_file(&opath).unwrap();
        Run {
            code: status.code().unwrap_or(-1),
            out: String::from_utf8_lossy(&out).into_owned(),
        }
    }

    /// The qmail-local command, ready to run as the user with `msg` on fd 0.
    #[allow(clippy::too_many_arguments)]
    pub fn command(
        &self,
        opts: &[&str],
        local: &str,
        ext: Option<&str>,
        domain: &str,
        sender: &str,
        dd: &str,
        msg: &str,
        env: &[(&str, &str)],
    ) -> Command {
        let mpath = self.path(&format!("msg.{}", SEQ.fetch_add(1, Ordering::SeqCst)));
        fs::write(&mpath, msg).unwrap();
        let stdin = File::open(&mpath).unwrap();
        // the open file stays readable after the name is gone
        fs::remove_file(&mpath).unwrap();
        let (dash, ext) = match ext {
            Some(e) => ("-", e),
            None => ("", ""),
        };
        let home = self.dir.to_str().unwrap();
        let mut args: Vec<&str> = opts.to_vec();
        args.extend(["--", USER, home, local, dash, ext, domain, sender, dd]);
        let mut c = Command::new(bin_for_user());
        c.args(&args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .envs(env.iter().copied())
            .stdin(Stdio::from(stdin))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .uid(self.uid)
            .gid(self.gid)
            .current_dir("/");
        c
    }

    /// A $QMAILQUEUE stand-in that records the message and the envelope in the home
    /// directory and exits with `code`.
    pub fn fake_queue(&self, code: u8) -> String {
        fs::create_dir_all("/var/qmail").unwrap();
        let d = self.dir.display();
        let script = format!(
            "#!/bin/sh\ncat > {d}/qq.mess\ncat <&1 > {d}/qq.env\necho $$ > {d}/qq.pid\nexit {code}\n"
        );
        self.put("fakeqq", &script, 0o755);
        self.path("fakeqq").to_str().unwrap().to_string()
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        fs::read(self.path(name)).unwrap()
    }

    pub fn exists(&self, name: &str) -> bool {
        Path::new(&self.path(name)).exists()
    }
}

pub const MSG: &str = "From: a@example.org\nSubject: test\n\nbody line\n";
