//! Round trips: qmail-qmqpc → qmail-qmqpd under tcpserver on 127.0.0.1:628, inside a
//! private network and mount namespace (needs root, unshare(1), ip(8), tcpserver from
//! ucspi-tcp). A temporary directory is bind-mounted over the qmail home, and qmail-qmqpd's
//! $QMAILQUEUE is a script that keeps a message only when its envelope was complete.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;

use qmail_core::auto::QMAIL;

const FAKE_QQ: &str = r#"#!/bin/sh
exec 2>/dev/null
n=$$
cat > "$QQ_REC/.mess.$n" || exit 54
cat <&1 > "$QQ_REC/.env.$n" || exit 54
end=$(tail -c 2 "$QQ_REC/.env.$n" | od -An -tx1 | tr -d ' \n')
if [ "$end" != 0000 ]; then rm -f "$QQ_REC/.mess.$n" "$QQ_REC/.env.$n"; exit 54; fi
[ "${QQ_EXIT:-0}" = 0 ] || exit "$QQ_EXIT"
mv "$QQ_REC/.mess.$n" "$QQ_REC/mess.$n"; mv "$QQ_REC/.env.$n" "$QQ_REC/env.$n"
"#;

/// Inside the namespaces: loopback up, the home mounted, the server (if any) listening,
/// then qmail-qmqpc with the message on fd 0 and the envelope on fd 1.
const SCRIPT: &str = r#"
ip link set lo up || exit 97
mkdir -p "$QMAILDIR" && mount --bind "$H" "$QMAILDIR" || exit 98
if [ -n "$SERVER" ]; then
  tcpserver -q -H -R -l mx.test 127.0.0.1 628 $SERVER &
  srv=$!
  i=0
  until python3 -c 'import socket; socket.create_connection(("127.0.0.1", 628), 1).close()' 2>/dev/null; do
    i=$((i+1)); [ $i -gt 200 ] && exit 99; sleep 0.05
  done
fi
"$QMQPC" < "$H/msg" 1< "$H/env"
rc=$?
[ -n "$SERVER" ] && kill $srv
exit $rc
"#;

struct Home {
    dir: PathBuf,
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// qmail-qmqpd from the same target directory (built on demand: Cargo only names the
/// binaries of the package under test).
fn qmqpd() -> PathBuf {
    let me = PathBuf::from(env!("CARGO_BIN_EXE_qmail-qmqpc"));
    let status = Command::new(env!("CARGO"))
        .args(["build", "-q", "-p", "qmail-qmqpd"])
        .status()
        .unwrap();
    assert!(status.success());
    me.parent().unwrap().join("qmail-qmqpd")
}

impl Home {
    fn new(tag: &str) -> Home {
        let dir = std::env::temp_dir().join(format!("qmqpc-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("control")).unwrap();
        std::fs::create_dir_all(dir.join("rec")).unwrap();
        let qq = dir.join("fake-qq");
        std::fs::write(&qq, FAKE_QQ).unwrap();
        std::fs::set_permissions(&qq, std::fs::Permissions::from_mode(0o755)).unwrap();
        let h = Home { dir };
        h.ctl("me", "client.example\n");
        h.ctl("qmqpservers", "127.0.0.1\n");
        h
    }

    fn ctl(&self, name: &str, text: &str) {
        std::fs::write(self.dir.join("control").join(name), text).unwrap();
    }

    fn recorded(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let rec = self.dir.join("rec");
        let mut out = Vec::new();
        for e in std::fs::read_dir(&rec).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            if let Some(n) = name.strip_prefix("mess.") {
                let m = std::fs::read(rec.join(&name)).unwrap();
                let env = std::fs::read(rec.join(format!("env.{n}"))).unwrap();
                out.push((m, env));
            }
        }
        out
    }

    /// qmail-qmqpc's exit code for `message` and `envelope`; `server` is the program
    /// tcpserver runs per connection (None: nothing listens).
    fn qmqpc(
        &self,
        server: Option<&str>,
        env: &[(&str, &str)],
        message: &[u8],
        envelope: &[u8],
    ) -> i32 {
        std::fs::write(self.dir.join("msg"), message).unwrap();
        std::fs::write(self.dir.join("env"), envelope).unwrap();
        let mut c = Command::new("unshare");
        c.args(["-m", "-n", "--propagation", "private", "sh", "-c", SCRIPT])
            .env_clear()
            .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin")
            .env("H", &self.dir)
            .env("QMAILDIR", QMAIL)
            .env("QMQPC", env!("CARGO_BIN_EXE_qmail-qmqpc"))
            .env("SERVER", server.unwrap_or(""))
            .env("QMAILQUEUE", self.dir.join("fake-qq"))
            .env("QQ_REC", self.dir.join("rec"));
        for (k, v) in env {
            c.env(k, v);
        }
        let status = c.status().unwrap();
        status.code().unwrap_or(-1)
    }
}

#[test]
fn round_trip_through_qmail_qmqpd() {
    let d = qmqpd();
    let h = Home::new("ok");
    let code = h.qmqpc(
        Some(d.to_str().unwrap()),
        &[],
        b"Subject: mini\n\nvia qmqp\n",
        b"Fs@client.example\0Ta@x.example\0Tb@y.example\0\0",
    );
    assert_eq!(code, 0);
    let rec = h.recorded();
    assert_eq!(rec.len(), 1);
    let m = String::from_utf8(rec[0].0.clone()).unwrap();
    let (l1, rest) = m.split_once('\n').unwrap();
    assert_eq!(l1, "Received: from unknown (127.0.0.1)");
    let (l2, body) = rest.split_once('\n').unwrap();
    assert!(l2.starts_with("  by mx.test with QMQP; "), "{l2}");
    assert_eq!(body, "Subject: mini\n\nvia qmqp\n");
    assert_eq!(
        rec[0].1,
        b"Fs@client.example\0Ta@x.example\0Tb@y.example\0\0"
    );
}

#[test]
fn verdicts_become_exit_codes() {
    let d = qmqpd();
    let d = d.to_str().unwrap();
    let h = Home::new("verdicts");
    let env = b"Fs@x\0Tr@y\0\0";
    // Z from the server: 71; D: 31.
    assert_eq!(h.qmqpc(Some(d), &[("QQ_EXIT", "53")], b"m\n", env), 71);
    assert_eq!(h.qmqpc(Some(d), &[("QQ_EXIT", "31")], b"m\n", env), 31);
    // An address qmail-qmqpd refuses (1000 bytes) is a D too.
    let long = [b"Fs@x\0T".to_vec(), vec![b'a'; 1000], b"\0\0".to_vec()].concat();
    assert_eq!(h.qmqpc(Some(d), &[], b"m\n", &long), 31);
    assert!(h.recorded().is_empty());
}

#[test]
fn servers_tried_in_order() {
    let d = qmqpd();
    let h = Home::new("order");
    // Nothing at all listens.
    assert_eq!(h.qmqpc(None, &[], b"m\n", b"F\0Tr\0\0"), 73);
    // The first server refuses the connection, the second takes the message.
    h.ctl("qmqpservers", "# not an address\n127.0.0.2\n127.0.0.1\n");
    assert_eq!(
        h.qmqpc(Some(d.to_str().unwrap()), &[], b"m\n", b"F\0Tr\0\0"),
        0
    );
    assert_eq!(h.recorded().len(), 1);
    // A server that hangs up without answering: communication failed.
    assert_eq!(h.qmqpc(Some("true"), &[], b"m\n", b"F\0Tr\0\0"), 74);
}

#[test]
fn local_problems() {
    let h = Home::new("local");
    // No server addresses at all: unable to read configuration.
    h.ctl("qmqpservers", "junk\n");
    assert_eq!(h.qmqpc(None, &[], b"m\n", b"F\0Tr\0\0"), 55);
    std::fs::remove_file(h.dir.join("control/qmqpservers")).unwrap();
    assert_eq!(h.qmqpc(None, &[], b"m\n", b"F\0Tr\0\0"), 55);
    h.ctl("qmqpservers", "127.0.0.1\n");
    // Envelope format errors: 91; an envelope ending before its final NUL is one too.
    assert_eq!(h.qmqpc(None, &[], b"m\n", b"Xs\0\0"), 91);
    assert_eq!(h.qmqpc(None, &[], b"m\n", b"Fs\0Tr\0"), 91);
    assert_eq!(h.qmqpc(None, &[], b"m\n", b""), 91);
    // Longer than qmail-queue takes: 11.
    let long = [b"F".to_vec(), vec![b'a'; 1100], b"\0\0".to_vec()].concat();
    assert_eq!(h.qmqpc(None, &[], b"m\n", &long), 11);
    // A qmail home it cannot enter: 61.
    let s = format!(
        "mkdir -p {QMAIL} && mount -t tmpfs -o mode=000 none {QMAIL} && exec setpriv --reuid=65534 --regid=65534 --clear-groups {q} </dev/null",
        q = env!("CARGO_BIN_EXE_qmail-qmqpc")
    );
    let mut c = Command::new("unshare");
    c.args(["-m", "--propagation", "private", "sh", "-c", &s])
        .env_clear()
        .env("PATH", "/usr/bin:/bin");
    assert_eq!(c.status().unwrap().code(), Some(61));
}
