//! qmail-dkimsign: the only process that can read the DKIM keys. Started as root by the
//! boot scripts, it makes its socket (QMAILHOME/dkim/socket, mode 0666: every local user
//! may submit mail, and mail is signed on submission), becomes qmailk (group nofiles)
//! and then answers requests: a signing domain, selector, t= and what qmail-dkim
//! computed from the message (body hash, canonical header fields), never the message
//! itself. One thread per connection, at most [`BUSY_MAX`] at once, each with a
//! deadline. See qmail-dkimsign(8).
#![forbid(unsafe_code)]

mod keys;

use std::io::{self, Read, Write};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use nix::unistd::{chown, geteuid, setgid, setgroups, setuid};
use qmail_core::fatal::Fatal;
use qmail_core::{auto, ids};
use qmail_dkim_core::proto::{Answer, Request, KEYS, REQUEST_MAX, SOCKET};

const PROG: &str = "qmail-dkimsign";
/// Connections served at once; more wait in the listen queue.
pub const BUSY_MAX: usize = 64;
/// How long a client may take to send its request and read the answer.
const DEADLINE: Duration = Duration::from_secs(20);

fn log(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{PROG}: {line}");
}

fn die_sys(text: &str, e: &io::Error) -> Fatal {
    Fatal::sys(111, PROG, text, e)
}

/// The socket, made as root in the root-owned dkim/ directory.
fn bind(path: &Path) -> Result<UnixListener, Fatal> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => std::fs::remove_file(path)
            .map_err(|e| die_sys(&format!("unable to remove {}: ", path.display()), &e))?,
        Ok(_) => {
            return Err(Fatal::die(
                111,
                PROG,
                format!("{} exists and is not a socket", path.display()),
            ))
        }
        Err(_) => {}
    }
    let l = UnixListener::bind(path)
        .map_err(|e| die_sys(&format!("unable to bind {}: ", path.display()), &e))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666))
        .map_err(|e| die_sys(&format!("unable to chmod {}: ", path.display()), &e))?;
    Ok(l)
}

/// dkim/keys: made for qmailk, mode 0700, when missing (qmail-dkimkey makes it too).
pub fn keys_dir(home: &Path, uid: nix::unistd::Uid, gid: nix::unistd::Gid) -> io::Result<()> {
    let dir = home.join(KEYS);
    match std::fs::create_dir(&dir) {
        Ok(()) => {
            chown(&dir, Some(uid), Some(gid)).map_err(io::Error::from)?;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

fn answer(keys: &keys::Keys, data: &[u8]) -> (Answer, String) {
    let Some(req) = Request::decode(data) else {
        return (
            Answer::Failed(b"malformed request".to_vec()),
            "refused a malformed request".to_string(),
        );
    };
    let d = String::from_utf8_lossy(&req.domain).into_owned();
    let s = String::from_utf8_lossy(&req.selector).into_owned();
    let key = match keys.get(&req.key_file()) {
        Ok(k) => k,
        Err(why) => return (Answer::Failed(why.clone().into_bytes()), why),
    };
    match qmail_dkim_core::finish_with(&key, &req.domain, &req.selector, &req.prepared, req.t) {
        Ok(field) => (
            Answer::Signed(field),
            format!("signed d={d} s={s} a={}", key.algorithm()),
        ),
        Err(e) => (
            Answer::Failed(format!("d={d} s={s}: {e}").into_bytes()),
            format!("d={d} s={s}: {e}"),
        ),
    }
}

fn serve(keys: &keys::Keys, mut s: UnixStream) {
    let ok = s
        .set_read_timeout(Some(DEADLINE))
        .and_then(|()| s.set_write_timeout(Some(DEADLINE)));
    if ok.is_err() {
        return;
    }
    let mut data = Vec::new();
    let limit = u64::try_from(REQUEST_MAX)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    if let Err(e) = (&s).take(limit).read_to_end(&mut data) {
        log(&format!(
            "warning: unable to read a request: {}",
            qmail_core::errstr::errstr(&e)
        ));
        return;
    }
    let (a, line) = if data.len() > REQUEST_MAX {
        (
            Answer::Failed(b"request too large".to_vec()),
            "refused a request too large".to_string(),
        )
    } else {
        answer(keys, &data)
    };
    log(&line);
    let _ = s.write_all(&a.encode());
}

pub fn run() -> Result<(), Fatal> {
    if std::env::args_os().len() > 1 {
        return Err(Fatal::new(100, format!("usage: {PROG}")));
    }
    if !geteuid().is_root() {
        return Err(Fatal::die(111, PROG, "must be started as root"));
    }
    let home = Path::new(auto::QMAIL);
    let uid = ids::qmailk().map_err(|e| Fatal::die(111, PROG, e.to_string()))?;
    let gid = ids::gid_nofiles().map_err(|e| Fatal::die(111, PROG, e.to_string()))?;
    keys_dir(home, uid, gid).map_err(|e| die_sys("unable to make dkim/keys: ", &e))?;
    let listener = bind(&home.join(SOCKET))?;
    let e = |what: &'static str| move |e: nix::Error| Fatal::die(111, PROG, format!("{what}: {e}"));
    setgroups(&[gid]).map_err(e("setgroups"))?;
    setgid(gid).map_err(e("setgid"))?;
    setuid(uid).map_err(e("setuid"))?;
    std::env::set_current_dir(home.join(KEYS))
        .map_err(|e| die_sys("unable to switch to dkim/keys: ", &e))?;
    log("ready");
    let keys = Arc::new(keys::Keys::default());
    let busy = Arc::new(AtomicUsize::new(0));
    for conn in listener.incoming() {
        let s = match conn {
            Ok(s) => s,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                log(&format!(
                    "warning: accept failed: {}",
                    qmail_core::errstr::errstr(&e)
                ));
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        while busy.load(Ordering::Acquire) >= BUSY_MAX {
            std::thread::sleep(Duration::from_millis(5));
        }
        busy.fetch_add(1, Ordering::AcqRel);
        let (k, b) = (Arc::clone(&keys), Arc::clone(&busy));
        let spawned = std::thread::Builder::new().spawn(move || {
            serve(&k, s);
            b.fetch_sub(1, Ordering::AcqRel);
        });
        if spawned.is_err() {
            busy.fetch_sub(1, Ordering::AcqRel);
            log("warning: unable to start a thread");
        }
    }
    Ok(())
}
