//! Remote delivery end to end between two qmail-rs hosts, each in its own network
//! namespace with its own private /var/qmail, and a real DNS server (dnsmasq) in a third
//! namespace that also holds the bridge joining them:
//!
//! ```text
//!   hostA 10.55.0.2 (a.test) ──veth──┐
//!                                    br0 10.55.0.1 (dnsmasq)   [dns namespace]
//!   hostB 10.55.0.3 (b.test) ──veth──┘
//! ```
//! 10.55.0.9 is in the subnet but nobody has it: a dead host.
//!
//! Each host's daemons run as `ip netns exec <ns> …` inside the sandbox's mount namespace,
//! with a resolv.conf naming the dns namespace bind-mounted over /etc/resolv.conf. Every
//! address used exists only inside the namespaces the test creates; all of them are
//! removed when the test ends, also when it fails (`World`'s Drop).
//!
//! Needs root, ip, dnsmasq, tcpserver and python3.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use qmail_e2e::netns::{self, ip};
use qmail_e2e::{mailbox, maildir_messages, wait_for, Daemon, Sandbox};

const DNS_IP: &str = "10.55.0.1";
const A_IP: &str = "10.55.0.2";
const B_IP: &str = "10.55.0.3";
const DEAD_IP: &str = "10.55.0.9";

static WORLDS: AtomicU32 = AtomicU32::new(0);

/// The records dnsmasq serves. `local=/test/` makes every other name under .test an
/// authoritative NXDOMAIN instead of a query to (absent) upstream servers.
fn dns_config() -> String {
    let big = big_mx();
    format!(
        "no-resolv\nno-hosts\nno-poll\nbind-interfaces\nlisten-address={DNS_IP}\nlocal=/test/\n\
         mx-host=a.test,mx.a.test,10\nhost-record=mx.a.test,{A_IP}\n\
         mx-host=b.test,mx.b.test,10\nhost-record=mx.b.test,{B_IP}\n\
         mx-host=twomx.test,dead.twomx.test,5\nmx-host=twomx.test,mx.b.test,20\n\
         host-record=dead.twomx.test,{DEAD_IP}\n\
         mx-host=routed.test,dead.twomx.test,10\n\
         mx-host=loop.test,mx.a.test,10\n\
         host-record=scripted.test,{B_IP}\n\
         cname=alias.test,mx.b.test\n\
         mx-host=noaddr.test,nothing-here.noaddr.test,10\n{big}"
    )
}

/// 30 MX records for big.test, too many for a 512-byte UDP answer: 29 exchangers that do
/// not exist (preferences 10..38), then B (preference 90).
fn big_mx() -> String {
    let mut s = String::new();
    for i in 0..29 {
        s.push_str(&format!(
            "mx-host=big.test,exchanger-that-does-not-exist-{i:02}.big.test,{}\n",
            10 + i
        ));
    }
    s.push_str("mx-host=big.test,mx.b.test,90\n");
    s
}

/// Two hosts, the dns namespace and dnsmasq.
struct World {
    ns_d: String,
    ns_a: String,
    ns_b: String,
    dir: PathBuf,
    dnsmasq: Option<Child>,
    a: Sandbox,
    b: Sandbox,
}

impl World {
    fn new() -> World {
        let n = WORLDS.fetch_add(1, Ordering::Relaxed);
        let base = format!("qrs{}w{n}", std::process::id());
        let dir = std::env::temp_dir().join(format!("qmail-e2e-net.{base}"));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        // The guard exists before the first namespace does, so a failed setup cleans up.
        let mut w = World {
            ns_d: format!("{base}d"),
            ns_a: format!("{base}a"),
            ns_b: format!("{base}b"),
            dir,
            dnsmasq: None,
            a: Sandbox::new(),
            b: Sandbox::new(),
        };
        w.network();
        w.start_dns();
        w.configure();
        w
    }

    fn network(&self) {
        let (d, a, b) = (&self.ns_d, &self.ns_a, &self.ns_b);
        for ns in [d, a, b] {
            ip(&["netns", "add", ns]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        // The veth pairs are created inside the host namespaces, their peers moved
        // straight to the dns namespace: nothing ever appears in the machine's own one.
        netns::bridge(d, &format!("{DNS_IP}/24"));
        for (ns, peer, addr) in [(a, "pa", A_IP), (b, "pb", B_IP)] {
            netns::attach(d, ns, peer, &format!("{addr}/24"));
        }
        fs::write(
            self.dir.join("resolv.conf"),
            format!("nameserver {DNS_IP}\noptions timeout:2 attempts:2\n"),
        )
        .unwrap();
    }

    fn start_dns(&mut self) {
        let conf = self.dir.join("dnsmasq.conf");
        fs::write(&conf, dns_config()).unwrap();
        let log = fs::File::create(self.dir.join("dnsmasq.log")).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns_d, "dnsmasq", "--no-daemon"])
            .arg(format!("--conf-file={}", conf.display()))
            .args(["--pid-file=", "--log-queries", "--user=root"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start dnsmasq (apt-get install dnsmasq-base)");
        self.dnsmasq = Some(child);
        // Ready when it answers: the MX of b.test from host A's side.
        let ok = wait_for(10, || {
            self.resolve_from_a("mx.b.test").as_deref() == Some(B_IP)
        });
        assert!(ok, "dnsmasq did not answer: {}", self.dns_log());
    }

    fn stop_dns(&mut self) {
        if let Some(mut c) = self.dnsmasq.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn dns_log(&self) -> String {
        fs::read_to_string(self.dir.join("dnsmasq.log")).unwrap_or_default()
    }

    /// An A lookup from host A through its resolv.conf, with python's own packet code
    /// (independent of qmail-dns).
    fn resolve_from_a(&self, name: &str) -> Option<String> {
        let script = format!(
            r#"
import socket, struct
q = struct.pack('>HHHHHH', 7, 0x0100, 1, 0, 0, 0)
q += b''.join(bytes([len(p)]) + p.encode() for p in '{name}'.split('.')) + b'\0\0\1\0\1'
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
s.sendto(q, ('{DNS_IP}', 53)); r = s.recv(512)
print('.'.join(str(b) for b in r[-4:]))
"#
        );
        let out = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.ns_a,
                "/usr/bin/python3",
                "-c",
                &script,
            ])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    fn configure(&self) {
        let a = &self.a;
        a.control("me", &["a.test"]);
        a.control("locals", &["a.test"]);
        a.control("rcpthosts", &["a.test"]);
        let b = &self.b;
        b.control("me", &["b.test"]);
        let domains = [
            "b.test",
            "twomx.test",
            "routed.test",
            "alias.test",
            "big.test",
        ];
        b.control("locals", &domains);
        b.control("rcpthosts", &domains);
    }

    /// A shell command run as root in host A's namespaces (mount and network).
    fn a_sh(&self, script: &str) -> qmail_e2e::Run {
        self.a.sh(&self.wrap(&self.ns_a, script))
    }

    fn wrap(&self, ns: &str, script: &str) -> String {
        let resolv = self.dir.join("resolv.conf");
        let quoted = script.replace('\'', r"'\''");
        format!(
            "mount --bind {} /etc/resolv.conf || exit 97; exec ip netns exec {ns} /bin/bash -c '{quoted}'",
            resolv.display()
        )
    }

    /// qmail-start on one host, as the boot scripts run it, in that host's namespaces.
    fn start_send(&self, sb: &Sandbox, ns: &str) -> Daemon {
        let d = sb.start(&self.wrap(
            ns,
            "cd / && exec env - PATH=/var/qmail/bin:/usr/bin:/bin qmail-start ./Maildir/",
        ));
        assert!(
            d.wait_log("status: local", 1, 20),
            "qmail-send did not start: {}",
            d.log_text()
        );
        d
    }

    /// tcpserver running qmail-smtpd on B's address, port 25, as qmaild.
    fn start_smtpd_b(&self) -> Daemon {
        let d = self.b.start(&self.wrap(
            &self.ns_b,
            &format!(
                "exec env - PATH=/var/qmail/bin:/usr/bin:/bin tcpserver -v -H -R -l b.test \
                 -u {} -g {} {B_IP} 25 /var/qmail/bin/qmail-smtpd",
                qmail_e2e::uid_of("qmaild"),
                gid_of("qmaild")
            ),
        ));
        assert!(
            d.wait_log("tcpserver: status: 0/", 1, 20),
            "tcpserver did not start: {}",
            d.log_text()
        );
        d
    }

    /// qmail-smtpd behind qmail-tlsd on B's address (STARTTLS offered), with a test CA's
    /// certificate for mx.b.test in B's control/servercert.pem. Returns the CA's file.
    fn start_tls_smtpd_b(&self) -> (Daemon, PathBuf) {
        let c = self.dir.join("certs");
        fs::create_dir_all(&c).unwrap();
        let run = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(&c)
                .output()
                .expect("openssl");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
        let ca = format!(
            "req -x509 {ec} -keyout ca.key -out ca.pem -days 30 -subj /CN=testCA \
             -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign"
        );
        run(&ca.split_whitespace().collect::<Vec<_>>());
        let req = format!("req {ec} -keyout b.key -out b.csr -subj /CN=mx.b.test");
        run(&req.split_whitespace().collect::<Vec<_>>());
        fs::write(
            c.join("b.ext"),
            "subjectAltName=DNS:mx.b.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        run(&[
            "x509",
            "-req",
            "-in",
            "b.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "30",
            "-out",
            "b.pem",
            "-extfile",
            "b.ext",
        ]);
        let mut both = fs::read(c.join("b.pem")).unwrap();
        both.extend(fs::read(c.join("b.key")).unwrap());
        let cert = self.b.path("control/servercert.pem");
        fs::write(&cert, both).unwrap();
        let st = Command::new("chown")
            .arg(format!(
                "{}:{}",
                qmail_e2e::uid_of("qmailt"),
                gid_of("qmailt")
            ))
            .arg(&cert)
            .status()
            .unwrap();
        assert!(st.success());
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&cert, fs::Permissions::from_mode(0o400)).unwrap();
        let d = self.b.start(&self.wrap(
            &self.ns_b,
            &format!(
                "exec env - PATH=/var/qmail/bin:/usr/bin:/bin tcpserver -v -H -R -l b.test \
                 {B_IP} 25 /var/qmail/bin/qmail-tlsd /var/qmail/bin/qmail-smtpd"
            ),
        ));
        assert!(
            d.wait_log("tcpserver: status: 0/", 1, 20),
            "tcpserver did not start: {}",
            d.log_text()
        );
        (d, c.join("ca.pem"))
    }

    /// The scripted SMTP server on B's address: 451 to RCPT for `temp*`, 550 for
    /// `perm*`, no answer at all for `stall*`, 250 for anyone else.
    fn start_scripted_b(&self) -> ScriptedServer {
        let script = self.dir.join("smtp.py");
        fs::write(&script, SCRIPTED_SMTP).unwrap();
        let log = self.dir.join("smtp.log");
        fs::write(&log, "").unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns_b, "/usr/bin/python3"])
            .arg(&script)
            .args([B_IP, "25"])
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(self.dir.join("smtp.err")).unwrap())
            .spawn()
            .expect("python3");
        let s = ScriptedServer { child, log };
        assert!(
            wait_for(10, || s.text().contains("listening")),
            "scripted server did not start"
        );
        s
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.stop_dns();
        // Anything still running in our namespaces was started by this test.
        for ns in [&self.ns_a, &self.ns_b, &self.ns_d] {
            if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                    if let Ok(p) = pid.parse::<i32>() {
                        let _ = nix::sys::signal::kill(
                            nix::unistd::Pid::from_raw(p),
                            nix::sys::signal::Signal::SIGKILL,
                        );
                    }
                }
            }
        }
        // Deleting a namespace deletes the veth ends and the bridge in it.
        for ns in [&self.ns_a, &self.ns_b, &self.ns_d] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
        if std::env::var_os("QMAIL_E2E_KEEP").is_none() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

fn gid_of(name: &str) -> u32 {
    nix::unistd::User::from_name(name)
        .ok()
        .flatten()
        .map(|u| u.gid.as_raw())
        .expect("user exists")
}

struct ScriptedServer {
    child: Child,
    log: PathBuf,
}

impl ScriptedServer {
    fn text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const SCRIPTED_SMTP: &str = r#"
import socket, sys, threading, time
host, port, logname = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
def log(s):
    with lock:
        with open(logname, 'a') as f:
            f.write(s + '\n')
def serve(c):
    f = c.makefile('rb')
    c.sendall(b'220 scripted.test ESMTP scripted\r\n')
    while True:
        line = f.readline()
        if not line:
            return
        cmd = line.decode('latin-1').rstrip('\r\n')
        log('< ' + cmd)
        u = cmd.upper()
        if u.startswith('HELO'):
            c.sendall(b'250 scripted.test\r\n')
        elif u.startswith('MAIL FROM:'):
            c.sendall(b'250 ok\r\n')
        elif u.startswith('RCPT TO:<TEMP'):
            c.sendall(b'451 4.2.1 scripted: mailbox busy, try later\r\n')
        elif u.startswith('RCPT TO:<PERM'):
            c.sendall(b'550 5.1.1 scripted: no such user here\r\n')
        elif u.startswith('RCPT TO:<STALL'):
            log('stalling')
            time.sleep(3600)
        elif u.startswith('RCPT TO:'):
            c.sendall(b'250 ok\r\n')
        elif u == 'DATA':
            c.sendall(b'354 go ahead\r\n')
            while True:
                l = f.readline()
                if not l or l == b'.\r\n':
                    break
            log('message received')
            c.sendall(b'250 ok scripted-queued\r\n')
        elif u == 'QUIT':
            c.sendall(b'221 bye\r\n')
            return
        else:
            c.sendall(b'502 unimplemented\r\n')
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port))
s.listen(50)
log('listening')
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"#;

/// Inject one message on host A.
fn inject_a(w: &World, from: &str, to: &str, subject: &str) {
    let r = w.a.sh(&format!(
        "printf 'Subject: {subject}\\n\\nbody of {subject}\\n' | /var/qmail/bin/qmail-inject -f {from} {to}"
    ));
    assert_eq!(r.code, Some(0), "qmail-inject: {}", r.stderr_str());
}

/// SIGALRM to qmail-send alone (qmail-start execs it, so it is the daemon's pid; the
/// spawns in its process group would die of the signal).
fn alarm(send: &Daemon) {
    let pid = send.pid();
    let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    assert_eq!(comm.trim(), "qmail-send", "daemon pid is not qmail-send");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGALRM,
    )
    .unwrap();
}

fn subjects(maildir: &Path) -> BTreeSet<String> {
    maildir_messages(maildir)
        .iter()
        .filter_map(|m| {
            let m = String::from_utf8_lossy(m);
            m.lines()
                .find_map(|l| l.strip_prefix("Subject: ").map(str::to_string))
        })
        .collect()
}

#[test]
fn five_hundred_messages_a_to_b() {
    let w = World::new();
    let home = mailbox(&w.b, "bob500");
    let _smtpd = w.start_smtpd_b();
    let _send_b = w.start_send(&w.b, &w.ns_b);
    let send_a = w.start_send(&w.a, &w.ns_a);
    let dir = w.a.scratch();
    let r = w.a.sh(&format!(
        "for i in $(seq 1 500); do printf 'Subject: m%s\\n\\n%0900d\\n' $i 0 \
         | /var/qmail/bin/qmail-inject -f alice@a.test bob500@b.test || echo $i >> {}/failed; done",
        dir.display()
    ));
    assert_eq!(r.code, Some(0), "{}", r.stderr_str());
    assert!(!dir.join("failed").exists(), "some injections failed");
    let maildir = home.join("Maildir");
    let all = wait_for(240, || maildir_messages(&maildir).len() >= 500);
    let log = send_a.log_text();
    assert!(
        all,
        "{} of 500 arrived; A's log tail: {}",
        maildir_messages(&maildir).len(),
        &log[log.len().saturating_sub(3000)..]
    );
    let want: BTreeSet<String> = (1..=500).map(|i| format!("m{i}")).collect();
    assert_eq!(subjects(&maildir), want);
    assert!(w.a.wait_queue_empty(30), "A's queue did not empty");
    let log = send_a.log_text();
    assert_eq!(
        log.matches(": success: ").count(),
        500,
        "every delivery succeeded once"
    );
    assert!(log.contains(&format!(
        "success: {B_IP}_accepted_message./Remote_host_said:_250_"
    )));
    assert!(
        !log.contains("deferral:") && !log.contains("failure:"),
        "{log}"
    );
    // Each arrived message went through B's qmail-smtpd from A's address.
    let one = String::from_utf8_lossy(&maildir_messages(&maildir)[0]).into_owned();
    assert!(one.contains("(HELO a.test)") && one.contains(A_IP), "{one}");
}

#[test]
fn refused_defers_then_alarm_delivers() {
    let w = World::new();
    let home = mailbox(&w.b, "bobdown");
    let _send_b = w.start_send(&w.b, &w.ns_b);
    let send_a = w.start_send(&w.a, &w.ns_a);
    inject_a(&w, "alice@a.test", "bobdown@b.test", "while-down");
    assert!(
        send_a.wait_log(
            "deferral: Sorry,_I_wasn't_able_to_establish_an_SMTP_connection._(#4.4.1)/",
            1,
            30
        ),
        "{}",
        send_a.log_text()
    );
    // Refused is not a timeout: B is not marked in lock/tcpto.
    let r = w.a_sh("/var/qmail/bin/qmail-tcpto");
    assert_eq!(r.stdout_str(), "", "tcpto: {}", r.stdout_str());
    assert_eq!(w.a.mess_files().len(), 1);
    let _smtpd = w.start_smtpd_b();
    alarm(&send_a);
    let maildir = home.join("Maildir");
    assert!(
        wait_for(30, || maildir_messages(&maildir).len() == 1),
        "{}",
        send_a.log_text()
    );
    assert_eq!(
        subjects(&maildir),
        BTreeSet::from(["while-down".to_string()])
    );
    assert!(send_a.wait_log(": success: ", 1, 10));
    assert!(w.a.wait_queue_empty(20));

    // A 4 MB message with long lines, leading dots and 8-bit bytes arrives byte for byte.
    let dir = w.a.scratch();
    let body: Vec<u8> = (0..4000u32)
        .flat_map(|i| {
            let mut line: Vec<u8> = if i % 7 == 0 {
                b".".to_vec()
            } else {
                Vec::new()
            };
            line.extend((0..(i * 37) % 2000).map(|j| match (i + j) % 97 {
                0 => b'.',
                k => 0x20 + ((k * 3 + i) % 0xdf) as u8,
            }));
            line.push(b'\n');
            line
        })
        .filter(|&b| b != b'\r' && b != 0)
        .collect();
    let mut msg = b"Subject: big\n\n".to_vec();
    msg.extend_from_slice(&body);
    fs::write(dir.join("big"), &msg).unwrap();
    let r = w.a.sh(&format!(
        "/var/qmail/bin/qmail-inject -f alice@a.test bobdown@b.test < {}/big",
        dir.display()
    ));
    assert_eq!(r.code, Some(0), "{}", r.stderr_str());
    assert!(
        wait_for(60, || maildir_messages(&maildir).len() == 2),
        "{}",
        send_a.log_text()
    );
    let got = maildir_messages(&maildir)
        .into_iter()
        .find(|m| m.windows(13).any(|w| w == b"Subject: big\n"))
        .expect("the big message");
    let start = got.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
    assert!(body.len() > 3_000_000);
    assert!(got[start..] == body[..], "body changed in transit");
}

#[test]
fn scripted_server_temp_perm_and_stall() {
    let w = World::new();
    w.a.control("timeoutremote", &["3"]);
    w.a.control("concurrencyremote", &["2"]);
    let home_a = mailbox(&w.a, "alicebounce");
    let server = w.start_scripted_b();
    let send_a = w.start_send(&w.a, &w.ns_a);

    // 4xx to RCPT: a deferral with the server's text, the message stays queued.
    inject_a(&w, "alicebounce@a.test", "temp1@scripted.test", "temp");
    assert!(
        send_a.wait_log(
            &format!(
                "deferral: {B_IP}_does_not_like_recipient./Remote_host_said:_451_4.2.1_scripted:_mailbox_busy,_try_later/Giving_up_on_{B_IP}./"
            ),
            1,
            30
        ),
        "{}",
        send_a.log_text()
    );
    assert_eq!(w.a.mess_files().len(), 1);

    // 5xx to RCPT: a failure, and a bounce to the sender on A quoting the server.
    inject_a(&w, "alicebounce@a.test", "perm1@scripted.test", "perm");
    assert!(
        send_a.wait_log(
            &format!("failure: {B_IP}_does_not_like_recipient./Remote_host_said:_550_5.1.1_scripted:_no_such_user_here/Giving_up_on_{B_IP}./"),
            1,
            30
        ),
        "{}",
        send_a.log_text()
    );
    let maildir = home_a.join("Maildir");
    assert!(
        wait_for(30, || maildir_messages(&maildir).len() == 1),
        "no bounce: {}",
        send_a.log_text()
    );
    let bounce = String::from_utf8_lossy(&maildir_messages(&maildir)[0]).into_owned();
    assert!(bounce.contains("Subject: failure notice\n"), "{bounce}");
    assert!(bounce.contains("<perm1@scripted.test>:\n"), "{bounce}");
    assert!(
        bounce.contains(&format!(
            "{B_IP} does not like recipient.\nRemote host said: 550 5.1.1 scripted: no such user here\nGiving up on {B_IP}.\n"
        )),
        "{bounce}"
    );
    assert!(
        bounce.contains("Subject: perm\n"),
        "original is quoted: {bounce}"
    );
    let t = server.text();
    assert!(t.contains("< HELO a.test"), "{t}");
    assert!(t.contains("< MAIL FROM:<alicebounce@a.test>"), "{t}");

    // A server that stops answering: timeoutremote (3 s) ends the attempt.
    let before = std::time::Instant::now();
    inject_a(&w, "alicebounce@a.test", "stall1@scripted.test", "stall");
    assert!(
        send_a.wait_log(
            &format!("deferral: Connected_to_{B_IP}_but_connection_died._(#4.4.2)/"),
            1,
            30
        ),
        "{}",
        send_a.log_text()
    );
    let took = before.elapsed().as_secs_f64();
    assert!(server.text().contains("stalling"));
    assert!((3.0..20.0).contains(&took), "stall ended after {took} s");
    // temp and stall stay queued; the bounce and the perm message are gone.
    assert!(
        wait_for(10, || w.a.mess_files().len() == 2),
        "{:?}",
        w.a.mess_files()
    );
    assert!(!server.text().contains("message received"));

    // concurrencyremote 2: four more stalling deliveries run two at a time.
    let before = std::time::Instant::now();
    for i in 2..6 {
        inject_a(
            &w,
            "alicebounce@a.test",
            &format!("stall{i}@scripted.test"),
            "stall",
        );
    }
    assert!(
        send_a.wait_log("but_connection_died._(#4.4.2)/", 5, 40),
        "{}",
        send_a.log_text()
    );
    let took = before.elapsed().as_secs_f64();
    let log = send_a.log_text();
    assert!(log.contains("remote 2/2"), "{log}");
    assert!(!log.contains("remote 3/2"), "{log}");
    assert!(took >= 5.5, "four 3 s stalls two at a time took {took} s");
    assert_eq!(server.text().matches("stalling").count(), 5);
}

#[test]
fn routing_two_mx_smtproutes_and_loop() {
    let w = World::new();
    w.a.control("smtproutes", &["routed.test:mx.b.test"]);
    // The dead host never answers ARP; a 1 s connect timeout ends the attempt first,
    // so lock/tcpto records it and shows the best MX was tried.
    w.a.control("timeoutconnect", &["1"]);
    let home = mailbox(&w.b, "bobroute");
    let home_a = mailbox(&w.a, "aliceroute");
    let _smtpd = w.start_smtpd_b();
    let _send_b = w.start_send(&w.b, &w.ns_b);
    let send_a = w.start_send(&w.a, &w.ns_a);
    let maildir = home.join("Maildir");

    // Best MX (pref 5) is a host that is down; the pref 20 one takes the message.
    inject_a(&w, "aliceroute@a.test", "bobroute@twomx.test", "second-mx");
    assert!(
        wait_for(60, || subjects(&maildir).contains("second-mx")),
        "{}",
        send_a.log_text()
    );
    assert!(send_a.wait_log(&format!("success: {B_IP}_accepted_message."), 1, 10));
    let r = w.a_sh("/var/qmail/bin/qmail-tcpto");
    assert!(
        r.stdout_str().starts_with(&format!("{DEAD_IP} timed out ")),
        "tcpto: {}",
        r.stdout_str()
    );
    assert!(
        r.stdout_str().ends_with("; # recent timeouts: 1\n"),
        "{}",
        r.stdout_str()
    );

    // Two recent timeouts 200 s ago: the dead host is skipped without a try (a try would
    // time out again and make it 3, now). qmail-tcpok forgets it, and it is tried again.
    let tcpto = w.a.path("queue/lock/tcpto");
    let mut table = fs::read(&tcpto).unwrap();
    let dead: std::net::Ipv4Addr = DEAD_IP.parse().unwrap();
    assert_eq!(
        table[..4],
        dead.octets(),
        "the dead host's record is the first"
    );
    let then = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 200) as u32;
    table[4] = 2;
    table[8..12].copy_from_slice(&then.to_le_bytes());
    fs::write(&tcpto, &table).unwrap();
    inject_a(
        &w,
        "aliceroute@a.test",
        "bobroute@twomx.test",
        "skipped-dead",
    );
    assert!(
        wait_for(30, || subjects(&maildir).contains("skipped-dead")),
        "{}",
        send_a.log_text()
    );
    let r = w.a_sh("/var/qmail/bin/qmail-tcpto");
    let out = r.stdout_str();
    assert!(out.starts_with(&format!("{DEAD_IP} timed out 20")), "{out}");
    assert!(
        out.ends_with(" seconds ago; # recent timeouts: 2\n"),
        "{out}"
    );
    let r = w.a_sh("/var/qmail/bin/qmail-tcpok && /var/qmail/bin/qmail-tcpto");
    assert_eq!((r.code, r.stdout_str()), (Some(0), String::new()));
    inject_a(
        &w,
        "aliceroute@a.test",
        "bobroute@twomx.test",
        "after-tcpok",
    );
    assert!(
        wait_for(30, || subjects(&maildir).contains("after-tcpok")),
        "{}",
        send_a.log_text()
    );
    let out = w.a_sh("/var/qmail/bin/qmail-tcpto").stdout_str();
    assert!(out.ends_with("; # recent timeouts: 1\n"), "{out}");

    // smtproutes wins over DNS (whose only MX for routed.test is the dead host).
    inject_a(&w, "aliceroute@a.test", "bobroute@routed.test", "routed");
    assert!(
        wait_for(30, || subjects(&maildir).contains("routed")),
        "{}",
        send_a.log_text()
    );
    let dns = w.dns_log();
    assert!(dns.contains("query[MX] twomx.test"), "{dns}");
    assert!(
        !dns.contains("query[MX] routed.test"),
        "route skips MX: {dns}"
    );

    // An MX pointing at host A itself: a permanent loop refusal, bounced to the sender.
    inject_a(&w, "aliceroute@a.test", "someone@loop.test", "loop");
    assert!(
        send_a.wait_log(
            "failure: Sorry._Although_I'm_listed_as_a_best-preference_MX_or_A_for_that_host,/it_isn't_in_my_control/locals_file,_so_I_don't_treat_it_as_local._(#5.4.6)/",
            1,
            30
        ),
        "{}",
        send_a.log_text()
    );
    let maildir_a = home_a.join("Maildir");
    assert!(wait_for(30, || maildir_messages(&maildir_a).len() == 1));
    let bounce = String::from_utf8_lossy(&maildir_messages(&maildir_a)[0]).into_owned();
    assert!(bounce.contains("<someone@loop.test>:\n"), "{bounce}");
    assert!(bounce.contains("(#5.4.6)"), "{bounce}");
    assert!(w.a.wait_queue_empty(20), "{:?}", w.a.mess_files());
    assert_eq!(maildir_messages(&maildir).len(), 4);
}

#[test]
fn dns_cname_truncation_and_failures() {
    let mut w = World::new();
    let home = mailbox(&w.b, "bobdns");
    let _smtpd = w.start_smtpd_b();
    let _send_b = w.start_send(&w.b, &w.ns_b);
    let send_a = w.start_send(&w.a, &w.ns_a);
    let maildir = home.join("Maildir");

    // alias.test is a CNAME with no MX behind it: the A fallback follows the CNAME.
    inject_a(&w, "alice@a.test", "bobdns@alias.test", "via-cname");
    // big.test's MX answer is truncated over UDP; only the full TCP answer holds B.
    inject_a(&w, "alice@a.test", "bobdns@big.test", "via-tcp");
    assert!(
        wait_for(60, || subjects(&maildir).len() == 2),
        "{}\n{}",
        send_a.log_text(),
        w.dns_log()
    );
    assert_eq!(
        subjects(&maildir),
        BTreeSet::from(["via-cname".to_string(), "via-tcp".to_string()])
    );
    let log = send_a.log_text();
    assert_eq!(
        log.matches(&format!("success: {B_IP}_accepted_message."))
            .count(),
        2,
        "{log}"
    );
    let dns = w.dns_log();
    assert!(dns.contains("query[MX] alias.test"), "{dns}");
    assert!(dns.contains("query[A] alias.test"), "{dns}");
    // Every exchanger was looked up before B's turn came.
    assert!(
        dns.contains("query[A] exchanger-that-does-not-exist-28.big.test"),
        "{dns}"
    );

    // A name that does not exist, and an MX whose exchanger has no address: permanent.
    inject_a(&w, "alice@a.test", "x@nosuch.test", "nxdomain");
    assert!(
        send_a.wait_log(
            "failure: Sorry,_I_couldn't_find_any_host_named_nosuch.test._(#5.1.2)/",
            1,
            30
        ),
        "{}",
        send_a.log_text()
    );
    inject_a(&w, "alice@a.test", "x@noaddr.test", "noaddr");
    assert!(
        send_a.wait_log(
            "failure: Sorry,_I_couldn't_find_a_mail_exchanger_or_IP_address._(#5.4.4)/",
            1,
            30
        ),
        "{}",
        send_a.log_text()
    );

    // The DNS server gone: a temporary failure, the message stays queued.
    w.stop_dns();
    inject_a(&w, "alice@a.test", "bobdns@b.test", "no-dns");
    assert!(
        send_a.wait_log(
            "deferral: Sorry,_I_couldn't_find_any_host_by_that_name._(#4.1.2)/",
            1,
            60
        ),
        "{}",
        send_a.log_text()
    );
}

#[test]
fn starttls_between_two_qmail_rs_hosts() {
    let w = World::new();
    let home = mailbox(&w.b, "bobtls");
    let (_smtpd, ca) = w.start_tls_smtpd_b();
    w.a.control("tlsdestinations", &[&format!("b.test:{}", ca.display())]);
    let _send_b = w.start_send(&w.b, &w.ns_b);
    let send_a = w.start_send(&w.a, &w.ns_a);
    inject_a(&w, "alice@a.test", "bobtls@b.test", "over-tls");
    let maildir = home.join("Maildir");
    assert!(
        wait_for(60, || maildir_messages(&maildir).len() == 1),
        "{}",
        send_a.log_text()
    );
    // B's qmail-smtpd names the TLS in its Received line, A's qmail-send in its log.
    let m = String::from_utf8_lossy(&maildir_messages(&maildir)[0]).into_owned();
    assert!(m.contains(" encrypted) SMTP"), "{m}");
    assert!(
        send_a.wait_log(
            &format!("success: {B_IP}_accepted_message./Remote_host_said:_250_ok_"),
            1,
            20
        ),
        "{}",
        send_a.log_text()
    );
    let log = send_a.log_text();
    assert!(
        log.contains(
            "/TLS:_TLSv1.3_TLS13_AES_256_GCM_SHA384,_certificate_verified_for_mx.b.test./"
        ),
        "{log}"
    );
}
