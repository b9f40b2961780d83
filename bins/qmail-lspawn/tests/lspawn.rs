//! Black-box tests of qmail-lspawn: the real binary as root in a private mount namespace
//! with a temporary qmail home whose bin/qmail-local is a small script that shows what it
//! was given. Users are found in the system's passwd (the test user qmailtest, alias) or in
//! users/cdb, by qmail-getpw's lookup, which qmail-lspawn runs in a child as qmailp.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use qmail_e2e::{uid_of as uid, Home};

const BIN: &str = env!("CARGO_BIN_EXE_qmail-lspawn");

fn script(p: &Path, body: &str) {
    qmail_e2e::script(p, &format!("#!/bin/sh\n{body}"));
}

/// A home with a bin/qmail-local stand-in, and a bin/qmail-getpw that must never run
/// (qmail-lspawn does the lookup itself): it leaves a mark and fails.
fn home(tag: &str) -> Home {
    let dir = Home::new(&format!("qmail-lspawn-{tag}"));
    for d in ["bin", "users", "queue/mess/5", "queue/lock", "home"] {
        dir.mkdir(d);
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    // qmail-local: show argv, uid, gid, groups, cwd and the message; exit by local part.
    script(
        &dir.join("bin/qmail-local"),
        "printf '%s|' \"$@\"; printf 'uid=%s gid=%s groups=%s cwd=%s\\n' \"$(id -u)\" \"$(id -g)\" \"$(id -G)\" \"$(pwd)\"; cat\n\
         case \"$4\" in temp*) exit 111;; perm*) exit 100;; crash*) kill -SEGV $$;; nul*) printf 'a\\0b'; exit 0;; esac\nexit 0\n",
    );
    script(
        &dir.join("bin/qmail-getpw"),
        "touch /var/qmail/getpw-ran; exit 111\n",
    );
    dir
}

/// The test user: (name, uid, gid, home).
fn user() -> (&'static str, u32, u32, String) {
    let name = qmail_e2e::test_user();
    let u = nix::unistd::User::from_name(name).unwrap().unwrap();
    (
        name,
        u.uid.as_raw(),
        u.gid.as_raw(),
        u.dir.to_string_lossy().into_owned(),
    )
}

fn alias_home() -> String {
    let u = nix::unistd::User::from_name("alias").unwrap().unwrap();
    u.dir.to_string_lossy().into_owned()
}

/// A message file owned by `owner`; returns its messid.
trait Mess {
    fn mess(&self, name: &str, owner: u32) -> String;
}

impl Mess for Home {
    fn mess(&self, name: &str, owner: u32) -> String {
        let p = self.join("queue/mess/5").join(name);
        std::fs::write(&p, b"MSG\n").unwrap();
        nix::unistd::chown(&p, Some(nix::unistd::Uid::from_raw(owner)), None).unwrap();
        format!("5/{name}")
    }
}

struct Lspawn {
    child: Child,
    cmd: ChildStdin,
    rep: ChildStdout,
}

fn start(h: &Home, args: &[&str]) -> Lspawn {
    let mut child = h
        .command(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let cmd = child.stdin.take().unwrap();
    let rep = child.stdout.take().unwrap();
    Lspawn { child, cmd, rep }
}

impl Lspawn {
    fn send(&mut self, delnum: u8, messid: &str, sender: &str, recip: &str) {
        let mut v = vec![delnum];
        for f in [messid, sender, recip] {
            v.extend_from_slice(f.as_bytes());
            v.push(0);
        }
        self.cmd.write_all(&v).unwrap();
    }

    /// One report: (delnum, letter+text).
    fn report(&mut self) -> (u8, String) {
        let mut d = [0u8; 1];
        self.rep.read_exact(&mut d).unwrap();
        let mut text = Vec::new();
        let mut b = [0u8; 1];
        loop {
            self.rep.read_exact(&mut b).unwrap();
            if b[0] == 0 {
                break;
            }
            text.push(b[0]);
        }
        (d[0], String::from_utf8_lossy(&text).into_owned())
    }

    fn finish(mut self) -> i32 {
        drop(self.cmd);
        let mut rest = Vec::new();
        self.rep.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty(), "unexpected output {rest:?}");
        self.child.wait().unwrap().code().unwrap_or(-1)
    }
}

#[test]
fn deliveries_run_as_the_user() {
    let h = home("deliver");
    let q = uid("qmailq");
    let m = h.mess("100", q);
    let (name, u, g, dir) = user();
    let mut l = start(&h, &["./Maildir/"]);
    let mut limit = [0u8; 1];
    l.rep.read_exact(&mut limit).unwrap();
    assert_eq!(limit[0], 120);
    // The account name is looked up lowercased; LOCAL keeps its case.
    let upper = name.to_ascii_uppercase();
    l.send(3, &m, "s@x", &format!("{upper}@Cmp.Example"));
    assert_eq!(
        l.report(),
        (
            3,
            format!(
                "K--|{name}|{dir}|{upper}|||Cmp.Example|s@x|./Maildir/|uid={u} gid={g} groups={g} cwd=/var/qmail\nMSG\n"
            )
        )
    );
    l.send(0, &m, "", &format!("{name}-Ext@cmp.example"));
    let (_, r) = l.report();
    let want = format!("K--|{name}|{dir}|{name}-Ext|-|Ext|cmp.example||./Maildir/|uid={u} ");
    assert!(r.starts_with(&want), "{r}");
    // Nobody of that name: the alias user, with the whole local part as extension.
    l.send(1, &m, "s@x", "No-Such-User@cmp.example");
    let (_, r) = l.report();
    let want = format!(
        "K--|alias|{}|No-Such-User|-|No-Such-User|cmp.example|s@x|./Maildir/|uid={} ",
        alias_home(),
        uid("alias")
    );
    assert!(r.starts_with(&want), "{r}");
    assert_eq!(l.finish(), 0);
    assert!(!h.join("getpw-ran").exists(), "bin/qmail-getpw was run");
}

/// qmail-lspawn forks its per-delivery child instead of executing /proc/self/exe: it works
/// where /proc is not mounted (a chroot, some containers), and no delivery runs a binary
/// replaced since qmail-lspawn started. Here /proc is unmounted in the test's namespace;
/// strace (run before the unmount) shows no execve but qmail-local's, and the lookup in a
/// child that became qmailp with only group nofiles before it looked anything up.
#[test]
fn deliveries_work_without_proc_and_exec_no_copy_of_lspawn() {
    let h = home("noproc");
    let m = h.mess("106", uid("qmailq"));
    let trace = h.join("trace");
    let mut child = Command::new("unshare")
        .args(["-m", "--propagation", "private", "--", "/bin/sh", "-c"])
        .arg(
            r#"mount --bind "$0" /var/qmail || exit 97; t=$1; shift
               exec strace -f -qq -o "$t" -e trace=execve,close_range,setgroups,setgid,setuid,openat sh -c 'umount -l /proc || exit 98; exec "$@"' sh "$@""#,
        )
        .arg(&*h)
        .arg(&trace)
        .args([BIN, "./Maildir/"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let cmd = child.stdin.take().unwrap();
    let rep = child.stdout.take().unwrap();
    let mut l = Lspawn { child, cmd, rep };
    let mut limit = [0u8; 1];
    l.rep.read_exact(&mut limit).unwrap();
    let (name, ..) = user();
    l.send(2, &m, "s@x", &format!("{name}@cmp.example"));
    let (d, r) = l.report();
    assert_eq!(d, 2);
    assert!(r.starts_with(&format!("K--|{name}|")), "{r}");
    assert_eq!(l.finish(), 0);
    let t = std::fs::read_to_string(&trace).unwrap();
    assert!(!t.contains("qmail-getpw"), "{t}");
    // The lookup child: every descriptor but 0-2 closed, groups, gid, uid dropped in that
    // order, then passwd read.
    let (p, n) = (uid("qmailp"), qmail_e2e::gid_of("nofiles"));
    let drops = [
        "close_range(3, ".to_string(),
        format!("setgroups(1, [{n}])"),
        format!("setgid({n})"),
        format!("setuid({p})"),
        "\"/etc/passwd\"".to_string(),
    ];
    let pid_of = |want: &str| {
        t.lines()
            .find(|l| l.contains(want))
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_else(|| panic!("no {want} in {t}"))
            .to_string()
    };
    let child = pid_of(&drops[1]);
    let mut at = 0;
    for want in &drops {
        let rel = t
            .lines()
            .skip(at)
            .position(|l| {
                l.starts_with(&format!("{child} "))
                    && l.contains(want.as_str())
                    && l.trim_end()
                        .ends_with(if want.starts_with("set") { "= 0" } else { "" })
            })
            .unwrap_or_else(|| panic!("lookup child {child}: no {want} in order: {t}"));
        at += rel + 1;
    }
    assert!(!t.contains("/proc/self/exe"), "{t}");
    let execs: Vec<&str> = t.lines().filter(|l| l.contains("execve(\"")).collect();
    assert!(execs.iter().any(|l| l.contains("bin/qmail-local")), "{t}");
    let me = format!("execve(\"{BIN}\"");
    assert_eq!(
        execs.iter().filter(|l| l.contains(&me)).count(),
        1,
        "qmail-lspawn is executed once, to start: {t}"
    );
}

#[test]
fn reports_map_exit_codes() {
    let h = home("codes");
    let m = h.mess("101", uid("qmailq"));
    let mut l = start(&h, &["./Mailbox"]);
    let mut limit = [0u8; 1];
    l.rep.read_exact(&mut limit).unwrap();
    let nobody = uid("nobody");
    // users/cdb: exact and wildcard entries; anything else goes to qmail-getpw's lookup.
    let users = h.join("users/cdb");
    let mut mk = qmail_core::cdb::CdbMake::new(std::fs::File::create(&users).unwrap());
    let data = |home: &str, dash: &str, ext: &str| {
        format!("nobody\0{nobody}\0{nobody}\0{home}\0{dash}\0{ext}").into_bytes()
    };
    mk.add(b"!temp\0", &data("/t", "", "")).unwrap();
    mk.add(b"!perm\0", &data("/t", "", "")).unwrap();
    mk.add(b"!crash\0", &data("/t", "", "")).unwrap();
    mk.add(b"!nul\0", &data("/t", "", "")).unwrap();
    mk.add(b"!wild-", &data("/w", "-", "pre-")).unwrap();
    mk.add(b"!root\0", b"root\x000\x000\0/root\0\0\0").unwrap();
    mk.add(b"!short\0", format!("nobody\0{nobody}\0").as_bytes())
        .unwrap();
    mk.add(b"", b"-").unwrap();
    mk.finish().unwrap();
    let cases: &[(&str, &str)] = &[
        ("temp@h", "Z--|nobody|/t|temp|||h|s|./Mailbox|"),
        ("perm@h", "D--|nobody|/t|perm|||h|s|./Mailbox|"),
        ("crash@h", "Zqmail-local crashed.\n"),
        ("nul@h", "K--|nobody|/t|nul|||h|s|./Mailbox|"),
        (
            "Wild-Card@h",
            "K--|nobody|/w|Wild-Card|-|pre-Card|h|s|./Mailbox|",
        ),
        ("root@h", "ZNot allowed to perform deliveries as root.\n"),
        ("short@h", "ZInternal qmail-lspawn bug.\n"),
        ("@h", "K"),
        (
            "nohost",
            "DSorry, address must include host name. (#5.1.3)\n",
        ),
    ];
    for (rcpt, want) in cases {
        l.send(7, &m, "s", rcpt);
        let (d, r) = l.report();
        assert_eq!(d, 7);
        assert!(r.starts_with(want), "{rcpt}: {r:?}");
        if *rcpt == "nul@h" {
            assert!(
                r.ends_with("MSG\na"),
                "output is cut at its first NUL: {r:?}"
            );
        }
    }
    assert_eq!(l.finish(), 0);
}

#[test]
fn message_checks() {
    let h = home("checks");
    let bad_owner = h.mess("102", 0);
    let mut l = start(&h, &["./Maildir/"]);
    let mut limit = [0u8; 1];
    l.rep.read_exact(&mut limit).unwrap();
    l.send(0, &bad_owner, "s", "joe@h");
    assert_eq!(
        l.report(),
        (0, "ZSorry, message has wrong owner. (#4.3.5)\n".into())
    );
    l.send(0, "5/999", "s", "joe@h");
    assert_eq!(
        l.report(),
        (0, "Zqmail-spawn unable to open message. (#4.3.0)\n".into())
    );
    l.send(0, "5", "s", "joe@h");
    assert_eq!(
        l.report(),
        (0, "ZSorry, message has wrong type. (#4.3.5)\n".into())
    );
    l.send(0, "../x", "s", "joe@h");
    assert_eq!(
        l.report(),
        (
            0,
            "DInternal error: messid has nonnumerics. (#5.3.5)\n".into()
        )
    );
    l.send(200, "5/1", "s", "joe@h");
    assert_eq!(
        l.report(),
        (200, "ZInternal error: delnum too big. (#4.3.5)\n".into())
    );
    assert_eq!(l.finish(), 0);
}

/// A FIFO at mess/N/id (anyone running as qmailq can make one) must not block the root
/// qmail-lspawn: the open does not wait for a writer, and the file type check refuses it.
/// A symlink is not followed. The reports must come within a deadline (a hang fails).
#[test]
fn fifo_and_symlink_messages_are_refused_without_blocking() {
    let h = home("fifo");
    let qmailq = uid("qmailq");
    let fifo = h.join("queue/mess/5/103");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    nix::unistd::chown(&fifo, Some(nix::unistd::Uid::from_raw(qmailq)), None).unwrap();
    let target = h.mess("105", qmailq);
    std::os::unix::fs::symlink("105", h.join("queue/mess/5/104")).unwrap();
    nix::unistd::fchownat(
        None,
        &h.join("queue/mess/5/104"),
        Some(nix::unistd::Uid::from_raw(qmailq)),
        None,
        nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
    )
    .unwrap();
    let mut l = start(&h, &["./Maildir/"]);
    let mut limit = [0u8; 1];
    l.rep.read_exact(&mut limit).unwrap();
    l.send(0, "5/103", "s", "joe@h");
    l.send(1, "5/104", "s", "joe@h");
    l.send(2, &target, "s", "joe@h");
    let Lspawn {
        mut child,
        cmd,
        mut rep,
    } = l;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut reports = Vec::new();
        for _ in 0..3 {
            let mut d = [0u8; 1];
            if rep.read_exact(&mut d).is_err() {
                break;
            }
            let mut text = Vec::new();
            let mut b = [0u8; 1];
            while rep.read_exact(&mut b).is_ok() && b[0] != 0 {
                text.push(b[0]);
            }
            reports.push((d[0], String::from_utf8_lossy(&text).into_owned()));
        }
        let _ = tx.send(reports);
    });
    let got = rx.recv_timeout(std::time::Duration::from_secs(20));
    drop(cmd);
    if got.is_err() {
        let _ = child.kill();
    }
    let _ = child.wait();
    let mut got = got.expect("qmail-lspawn blocked opening a FIFO message");
    got.sort();
    assert_eq!(
        got[0],
        (0, "ZSorry, message has wrong type. (#4.3.5)\n".into())
    );
    assert_eq!(
        got[1],
        (1, "Zqmail-spawn unable to open message. (#4.3.0)\n".into())
    );
    assert_eq!(got[2].0, 2);
    assert!(got[2].1.starts_with('K'), "{:?}", got[2]);
}

#[test]
fn slot_in_use_and_exit_after_children() {
    let h = home("busy");
    let m = h.mess("103", uid("qmailq"));
    qmail_e2e::home::script(h.join("bin/qmail-local"), "#!/bin/sh\nsleep 1\necho slow\n");
    let mut l = start(&h, &["./Maildir/"]);
    let mut limit = [0u8; 1];
    l.rep.read_exact(&mut limit).unwrap();
    l.send(4, &m, "s", "joe@h");
    l.send(4, &m, "s", "joe@h");
    assert_eq!(
        l.report(),
        (4, "ZInternal error: delnum in use. (#4.3.5)\n".into())
    );
    // End of commands with a delivery running: the report still comes, then exit 0.
    drop(std::mem::replace(
        &mut l.cmd,
        Command::new("true")
            .stdin(Stdio::piped())
            .spawn()
            .unwrap()
            .stdin
            .take()
            .unwrap(),
    ));
    assert_eq!(l.report(), (4, "Kslow\n".into()));
    assert_eq!(l.child.wait().unwrap().code(), Some(0));
    assert!(std::fs::metadata(h.join("bin/qmail-local")).unwrap().mode() & 0o111 != 0);
}

#[test]
fn usage() {
    let h = home("usage");
    let l = start(&h, &[]);
    assert_eq!(l.finish(), 100);
}

#[test]
fn broken_users_cdb_is_temporary() {
    let h = home("badcdb");
    let m = h.mess("104", uid("qmailq"));
    // A cdb without the "" (wildchars) record cannot be trusted.
    let mut mk = qmail_core::cdb::CdbMake::new(std::fs::File::create(h.join("users/cdb")).unwrap());
    mk.add(b"!joe\0", b"x").unwrap();
    mk.finish().unwrap();
    let mut l = start(&h, &["./Maildir/"]);
    let mut limit = [0u8; 1];
    l.rep.read_exact(&mut limit).unwrap();
    l.send(0, &m, "s", "joe@h");
    assert_eq!(
        l.report(),
        (0, "ZTrouble reading users/cdb in qmail-lspawn.\n".into())
    );
    std::fs::remove_file(h.join("users/cdb")).unwrap();
    std::fs::create_dir(h.join("users/cdb")).unwrap();
    l.send(0, &m, "s", "joe@h");
    assert_eq!(
        l.report(),
        (0, "ZTrouble reading users/cdb in qmail-lspawn.\n".into())
    );
    assert_eq!(l.finish(), 0);
}
