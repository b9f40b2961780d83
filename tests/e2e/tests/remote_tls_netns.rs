//! qmail-rs delivering to Postfix 3.7 over STARTTLS, hosts in network namespaces with a
//! real DNS server (dnsmasq), as in remote_netns.rs:
//!
//! ```text
//!   hostA 10.56.0.2 (qmail-rs) ──veth──┐
//!                                      br0 10.56.0.1 (dnsmasq)   [dns namespace]
//!   hostP 10.56.0.4 ───────────veth──┘  Postfix, smtpd_tls_security_level=encrypt
//!         10.56.0.5                     Postfix, smtpd_tls_security_level=may
//!         10.56.0.6                     a man in the middle that strips STARTTLS from
//!                                       the EHLO answer and relays to 10.56.0.5
//!         fd56::4                       Postfix at `may` for an IPv6-only exchanger
//! ```
//! Host A has fd56::2 too. dual.p.test has 10.56.0.5 and fd56::99, an IPv6 address
//! nobody has: qmail-remote tries it first and falls back to IPv4.
//! Postfix runs with its own configuration, queue and data directories bind-mounted over
//! /etc/postfix, /var/spool/postfix and /var/lib/postfix in a private mount namespace,
//! delivering every domain it takes into one Maildir. The certificates come from a test
//! CA made with openssl; the system's CA store does not know it.
//!
//! Needs root, ip, dnsmasq, postfix, openssl and python3.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use qmail_e2e::netns::ip;
use qmail_e2e::{maildir_messages, wait_for, Daemon, Sandbox};

const DNS_IP: &str = "10.56.0.1";
const A_IP: &str = "10.56.0.2";
const ENC_IP: &str = "10.56.0.4";
const MAY_IP: &str = "10.56.0.5";
const STRIP_IP: &str = "10.56.0.6";
const A_IP6: &str = "fd56::2";
const V6_IP: &str = "fd56::4";
const DEAD_IP6: &str = "fd56::99";
/// Postfix at `may` with an expired certificate.
const EXP_IP: &str = "10.56.0.7";
/// Postfix smarthosts that take mail only after AUTH (Dovecot SASL), inside TLS:
/// PLAIN and LOGIN offered, and LOGIN alone.
const AUTH_IP: &str = "10.56.0.8";
const LOGIN_IP: &str = "10.56.0.9";
/// Postfix logging the client's commands (debug_peer_list), with 8BITMIME and without.
const EIGHT_IP: &str = "10.56.0.10";
const NO8_IP: &str = "10.56.0.11";

static WORLDS: AtomicU32 = AtomicU32::new(0);

fn dns_config() -> String {
    format!(
        "no-resolv\nno-hosts\nno-poll\nbind-interfaces\nlisten-address={DNS_IP}\nlocal=/test/\n\
         mx-host=a.test,mx.a.test,10\nhost-record=mx.a.test,{A_IP}\n\
         host-record=mx.p.test,{ENC_IP}\nhost-record=may.p.test,{MAY_IP}\n\
         host-record=strip.p.test,{STRIP_IP}\n\
         mx-host=enc.test,mx.p.test,10\nmx-host=ver.test,mx.p.test,10\n\
         mx-host=sys.test,mx.p.test,10\nmx-host=may.test,may.p.test,10\n\
         mx-host=strip.test,strip.p.test,10\nmx-host=strip2.test,strip.p.test,10\n\
         host-record=v6.p.test,{V6_IP}\nmx-host=v6only.test,v6.p.test,10\n\
         host-record=dual.p.test,{MAY_IP},{DEAD_IP6}\nmx-host=dual.test,dual.p.test,10\n\
         host-record=exp.p.test,{EXP_IP}\nmx-host=expver.test,exp.p.test,10\n\
         mx-host=expopp.test,exp.p.test,10\n\
         host-record=auth.p.test,{AUTH_IP}\nhost-record=authbad.p.test,{AUTH_IP}\n\
         host-record=login.p.test,{LOGIN_IP}\n\
         host-record=eight.p.test,{EIGHT_IP}\nmx-host=eight.test,eight.p.test,10\n\
         host-record=no8.p.test,{NO8_IP}\nmx-host=no8.test,no8.p.test,10\n"
    )
}

const DOMAINS: &str =
    "enc.test ver.test sys.test may.test strip.test strip2.test v6only.test dual.test \
     ee.d.test ta.d.test bad.d.test strip.d.test plain.u.test \
     expver.test expopp.test authp.test authl.test authbad.test eight.test no8.test";

/// The DNSSEC world: d.test is signed and unbound has its trust anchor; u.test is not
/// signed. Every exchanger is the `may` Postfix (or the stripper); the TLSA records of
/// `_25._tcp.mxbad.d.test` and `_25._tcp.mxu.u.test` match no certificate.
fn zone_d(ee_spki_sha256: &str, ca_sha256: &str) -> String {
    format!(
        "$ORIGIN d.test.\n$TTL 300\n@ SOA ns.d.test. root.d.test. 1 3600 600 86400 300\n\
         @ NS ns.d.test.\nns A {DNS_IP}\n\
         ee MX 10 mxee\nmxee A {MAY_IP}\n_25._tcp.mxee TLSA 3 1 1 {ee_spki_sha256}\n\
         ta MX 10 mxta\nmxta A {MAY_IP}\n_25._tcp.mxta TLSA 2 0 1 {ca_sha256}\n\
         bad MX 10 mxbad\nmxbad A {MAY_IP}\n_25._tcp.mxbad TLSA 3 1 1 {WRONG}\n\
         strip MX 10 mxstrip\nmxstrip A {STRIP_IP}\n\
         _25._tcp.mxstrip TLSA 3 1 1 {ee_spki_sha256}\n"
    )
}

fn zone_u() -> String {
    format!(
        "$ORIGIN u.test.\n$TTL 300\n@ SOA ns.u.test. root.u.test. 1 3600 600 86400 300\n\
         @ NS ns.u.test.\nns A {DNS_IP}\n\
         plain MX 10 mxu\nmxu A {MAY_IP}\n_25._tcp.mxu TLSA 3 1 1 {WRONG}\n"
    )
}

/// A SHA-256 digest of nothing we have.
const WRONG: &str = "0000000000000000000000000000000000000000000000000000000000000001";

/// Which DNS the world has.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dns {
    /// dnsmasq with the records of `dns_config`.
    Dnsmasq,
    /// nsd serving d.test (signed) and u.test, and unbound validating with d.test's key.
    Dnssec,
}

/// Relays SMTP from the client to the `may` Postfix and removes STARTTLS from every
/// EHLO answer on the way back: the attacker of RFC 3207 §6.
const STRIPPER: &str = r#"
import socket, sys, threading
listen, target = sys.argv[1], sys.argv[2]
def up(c, s):
    try:
        while True:
            b = c.recv(65536)
            if not b:
                break
            s.sendall(b)
    except OSError:
        pass
    try: s.shutdown(socket.SHUT_WR)
    except OSError: pass
def down(s, c):
    f = s.makefile('rb')
    pending = None
    while True:
        line = f.readline()
        if not line:
            break
        if line[4:].rstrip(b'\r\n').upper() == b'STARTTLS':
            if line[3:4] == b' ' and pending is not None:
                pending = pending[:3] + b' ' + pending[4:]
            continue
        if pending is not None:
            c.sendall(pending)
        pending = line if line[3:4] == b'-' else None
        if pending is None:
            c.sendall(line)
    try: c.shutdown(socket.SHUT_WR)
    except OSError: pass
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((listen, 25)); l.listen(20)
print('listening', flush=True)
while True:
    c, _ = l.accept()
    s = socket.create_connection((target, 25))
    threading.Thread(target=up, args=(c, s), daemon=True).start()
    threading.Thread(target=down, args=(s, c), daemon=True).start()
"#;

struct World {
    ns_d: String,
    ns_a: String,
    ns_p: String,
    dir: PathBuf,
    children: Vec<Child>,
    a: Sandbox,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl World {
    fn new() -> World {
        World::with_dns(Dns::Dnsmasq)
    }

    fn with_dns(dns: Dns) -> World {
        let n = WORLDS.fetch_add(1, Ordering::Relaxed);
        let base = format!("qrt{}w{n}", std::process::id());
        let dir = std::env::temp_dir().join(format!("qmail-e2e-tls.{base}"));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let mut w = World {
            ns_d: format!("{base}d"),
            ns_a: format!("{base}a"),
            ns_p: format!("{base}p"),
            dir,
            children: Vec::new(),
            a: Sandbox::new(),
        };
        w.network();
        w.certificates();
        match dns {
            Dns::Dnsmasq => w.start_dns(),
            Dns::Dnssec => w.start_dnssec(),
        }
        w.start_dovecot();
        w.start_postfix();
        w.start_stripper();
        w.a.control("me", &["a.test"]);
        w.a.control("locals", &["a.test"]);
        w.a.control("rcpthosts", &["a.test"]);
        w
    }

    fn network(&self) {
        let (d, a, p) = (&self.ns_d, &self.ns_a, &self.ns_p);
        for ns in [d, a, p] {
            ip(&["netns", "add", ns]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        ip(&["-n", d, "link", "add", "br0", "type", "bridge"]);
        ip(&[
            "-n",
            d,
            "addr",
            "add",
            &format!("{DNS_IP}/24"),
            "dev",
            "br0",
        ]);
        ip(&["-n", d, "link", "set", "br0", "up"]);
        for (ns, peer, addrs, addrs6) in [
            (a, "pa", vec![A_IP], vec![A_IP6]),
            (
                p,
                "pp",
                vec![
                    ENC_IP, MAY_IP, STRIP_IP, EXP_IP, AUTH_IP, LOGIN_IP, EIGHT_IP, NO8_IP,
                ],
                vec![V6_IP],
            ),
        ] {
            ip(&[
                "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", peer, "netns", d,
            ]);
            ip(&["-n", d, "link", "set", peer, "master", "br0"]);
            ip(&["-n", d, "link", "set", peer, "up"]);
            for addr in addrs {
                ip(&[
                    "-n",
                    ns,
                    "addr",
                    "add",
                    &format!("{addr}/24"),
                    "dev",
                    "eth0",
                ]);
            }
            // nodad: usable at once, not after duplicate address detection.
            for addr in addrs6 {
                ip(&[
                    "-n",
                    ns,
                    "-6",
                    "addr",
                    "add",
                    &format!("{addr}/64"),
                    "dev",
                    "eth0",
                    "nodad",
                ]);
            }
            ip(&["-n", ns, "link", "set", "eth0", "up"]);
        }
        fs::write(
            self.dir.join("resolv.conf"),
            format!("nameserver {DNS_IP}\noptions timeout:2 attempts:2\n"),
        )
        .unwrap();
    }

    /// A test CA and a certificate it signed for Postfix's three names.
    fn certificates(&self) {
        let c = self.dir.join("certs");
        fs::create_dir_all(&c).unwrap();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let mut ca = vec!["req", "-x509"];
        ca.extend_from_slice(&ec);
        ca.extend_from_slice(&[
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "30",
            "-subj",
            "/CN=qmail-rs test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ]);
        openssl(&c, &ca);
        let mut req = vec!["req"];
        req.extend_from_slice(&ec);
        req.extend_from_slice(&[
            "-keyout",
            "mx.key",
            "-out",
            "mx.csr",
            "-subj",
            "/CN=mx.p.test",
        ]);
        openssl(&c, &req);
        fs::write(
            c.join("mx.ext"),
            "subjectAltName=DNS:mx.p.test,DNS:may.p.test,DNS:strip.p.test,DNS:v6.p.test,DNS:dual.p.test,\
             DNS:mxee.d.test,DNS:mxta.d.test,DNS:mxbad.d.test,DNS:mxstrip.d.test,DNS:mxu.u.test,\
             DNS:exp.p.test,DNS:auth.p.test,DNS:authbad.p.test,DNS:login.p.test\n\
             basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(
            &c,
            &[
                "x509",
                "-req",
                "-in",
                "mx.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "30",
                "-out",
                "mx.pem",
                "-extfile",
                "mx.ext",
            ],
        );
        // Postfix sends the CA too: the trust anchor of DANE-TA must be in the chain.
        let chain = [
            fs::read(c.join("mx.pem")).unwrap(),
            fs::read(c.join("ca.pem")).unwrap(),
        ];
        fs::write(c.join("chain.pem"), chain.concat()).unwrap();
        // The same key and names, valid until a day before it was made: expired.
        openssl(
            &c,
            &[
                "x509",
                "-req",
                "-in",
                "mx.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "-1",
                "-out",
                "expired.pem",
                "-extfile",
                "mx.ext",
            ],
        );
    }

    /// Dovecot's auth service alone (no IMAP, no POP3), for Postfix's SASL: user carol
    /// with password `s3cret|x y`, a socket in the test's directory.
    fn start_dovecot(&mut self) {
        let d = self.dir.join("dovecot");
        for sub in ["run", "state"] {
            fs::create_dir_all(d.join(sub)).unwrap();
        }
        fs::write(d.join("users"), "carol:{PLAIN}s3cret|x y\n").unwrap();
        let dd = d.display();
        fs::write(
            d.join("dovecot.conf"),
            format!(
                "base_dir = {dd}/run\nstate_dir = {dd}/state\nlog_path = {dd}/dovecot.log\n\
                 protocols =\nssl = no\nauth_mechanisms = plain login\n\
                 disable_plaintext_auth = no\nauth_verbose = yes\n\
                 passdb {{\n  driver = passwd-file\n  args = {dd}/users\n}}\n\
                 userdb {{\n  driver = static\n  args = uid=nobody gid=nogroup home=/nonexistent\n}}\n\
                 service auth {{\n  unix_listener {dd}/auth {{\n    mode = 0666\n  }}\n}}\n"
            ),
        )
        .unwrap();
        let conf = d.join("dovecot.conf").display().to_string();
        let ns = self.ns_p.clone();
        self.ns_child(&ns, &["dovecot", "-F", "-c", &conf], "dovecot.out");
        let ok = wait_for(20, || d.join("auth").exists());
        assert!(
            ok,
            "dovecot did not start: {}{}",
            fs::read_to_string(self.dir.join("dovecot.out")).unwrap_or_default(),
            fs::read_to_string(d.join("dovecot.log")).unwrap_or_default()
        );
    }

    /// `openssl` output as lower-case hex: the SHA-256 of the server's public key and
    /// of the CA's certificate (TLSA 3 1 1 and 2 0 1).
    fn digests(&self) -> (String, String) {
        let c = self.dir.join("certs");
        openssl(
            &c,
            &[
                "pkey", "-in", "mx.key", "-pubout", "-outform", "DER", "-out", "mx.spki",
            ],
        );
        openssl(
            &c,
            &["x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der"],
        );
        let sha = |f: &str| {
            let out = Command::new("openssl")
                .args(["dgst", "-sha256", "-r", f])
                .current_dir(&c)
                .output()
                .unwrap();
            let text = String::from_utf8(out.stdout).unwrap();
            let hex = text.split_whitespace().next().unwrap().to_string();
            assert_eq!(hex.len(), 64, "{text}");
            hex
        };
        (sha("mx.spki"), sha("ca.der"))
    }

    /// nsd on 127.0.0.1:5300 of the DNS namespace with the two zones, d.test signed
    /// with a fresh key by ldns-signzone; unbound on the DNS address validating with
    /// that key's DS as its only trust anchor.
    fn start_dnssec(&mut self) {
        let z = self.dir.join("zones");
        fs::create_dir_all(&z).unwrap();
        let (ee, ca) = self.digests();
        fs::write(z.join("d.test"), zone_d(&ee, &ca)).unwrap();
        fs::write(z.join("u.test"), zone_u()).unwrap();
        let run = |args: &[&str]| {
            let (prog, rest) = args.split_first().unwrap();
            let out = Command::new(prog)
                .args(rest)
                .current_dir(&z)
                .output()
                .unwrap_or_else(|e| panic!("{prog}: {e} (apt-get install ldnsutils)"));
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        };
        let key = run(&["ldns-keygen", "-a", "ECDSAP256SHA256", "-k", "d.test"]);
        let key = key.trim();
        run(&["ldns-signzone", "d.test", key]);
        let zd = z.display();
        fs::write(
            z.join("nsd.conf"),
            format!(
                "server:\n  ip-address: 127.0.0.1@5300\n  username: \"\"\n  chroot: \"\"\n\
                 \x20 zonesdir: \"{zd}\"\n  database: \"\"\n  pidfile: \"\"\n\
                 \x20 xfrdfile: \"{zd}/xfrd.state\"\n  zonelistfile: \"{zd}/zone.list\"\n\
                 \x20 server-count: 1\n  verbosity: 2\n\
                 remote-control:\n  control-enable: no\n\
                 zone:\n  name: d.test\n  zonefile: d.test.signed\n\
                 zone:\n  name: u.test\n  zonefile: u.test\n"
            ),
        )
        .unwrap();
        fs::write(
            z.join("unbound.conf"),
            format!(
                "server:\n  interface: {DNS_IP}\n  access-control: 10.56.0.0/24 allow\n\
                 \x20 do-daemonize: no\n  chroot: \"\"\n  username: \"\"\n  pidfile: \"\"\n\
                 \x20 directory: \"{zd}\"\n  use-syslog: no\n  logfile: \"\"\n  verbosity: 1\n\
                 \x20 val-log-level: 2\n  do-not-query-localhost: no\n\
                 \x20 module-config: \"validator iterator\"\n  local-zone: \"test.\" nodefault\n\
                 \x20 trust-anchor-file: \"{zd}/{key}.ds\"\n\
                 stub-zone:\n  name: \"d.test\"\n  stub-addr: 127.0.0.1@5300\n\
                 stub-zone:\n  name: \"u.test\"\n  stub-addr: 127.0.0.1@5300\n"
            ),
        )
        .unwrap();
        let ns = self.ns_d.clone();
        let nsd_conf = z.join("nsd.conf").display().to_string();
        self.ns_child(&ns, &["nsd", "-d", "-c", &nsd_conf], "nsd.log");
        let unbound_conf = z.join("unbound.conf").display().to_string();
        self.ns_child(&ns, &["unbound", "-d", "-c", &unbound_conf], "unbound.log");
    }

    fn ns_child(&mut self, ns: &str, argv: &[&str], log: &str) {
        let out = fs::File::create(self.dir.join(log)).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", ns])
            .args(argv)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("ip netns exec");
        self.children.push(child);
    }

    fn start_dns(&mut self) {
        let conf = self.dir.join("dnsmasq.conf");
        fs::write(&conf, dns_config()).unwrap();
        let ns = self.ns_d.clone();
        let conf = format!("--conf-file={}", conf.display());
        self.ns_child(
            &ns,
            &[
                "dnsmasq",
                "--no-daemon",
                &conf,
                "--pid-file=",
                "--log-queries",
                "--user=root",
            ],
            "dnsmasq.log",
        );
    }

    fn postfix_dir(&self) -> PathBuf {
        self.dir.join("postfix")
    }

    fn start_postfix(&mut self) {
        let pf = self.postfix_dir();
        for d in ["etc", "spool", "lib", "mail"] {
            fs::create_dir_all(pf.join(d)).unwrap();
        }
        let st = Command::new("cp")
            .args([
                "-a",
                "/etc/postfix/.",
                &pf.join("etc").display().to_string(),
            ])
            .status()
            .unwrap();
        assert!(st.success());
        let nobody = nix::unistd::User::from_name("nobody")
            .unwrap()
            .expect("nobody");
        let st = Command::new("chown")
            .arg(format!("{}:{}", nobody.uid, nobody.gid))
            .arg(pf.join("mail"))
            .status()
            .unwrap();
        assert!(st.success());
        let certs = self.dir.join("certs");
        let domains = DOMAINS;
        fs::write(
            pf.join("etc/main.cf"),
            format!(
                "compatibility_level = 3.6\nmyhostname = mx.p.test\nmydomain = p.test\n\
                 mydestination =\ninet_interfaces = all\ninet_protocols = all\n\
                 mynetworks = 127.0.0.0/8\nalias_maps =\nalias_database =\nbiff = no\n\
                 maillog_file_prefixes = {pf}\nmaillog_file = {pf}/maillog\n\
                 virtual_mailbox_domains = {domains}\nvirtual_mailbox_base = {pf}/mail\n\
                 virtual_mailbox_maps = static:box/\nvirtual_uid_maps = static:{uid}\n\
                 virtual_gid_maps = static:{gid}\n\
                 smtpd_tls_cert_file = {certs}/chain.pem\nsmtpd_tls_key_file = {certs}/mx.key\n\
                 smtpd_tls_received_header = yes\nmessage_size_limit = 100000\n",
                pf = pf.display(),
                certs = certs.display(),
                uid = nobody.uid,
                gid = nobody.gid,
            ),
        )
        .unwrap();
        // One smtpd per address, each with its own TLS level.
        // A package installed with "No configuration" may lack these: the shipped copies.
        for (file, dist) in [
            ("master.cf", "/usr/share/postfix/master.cf.dist"),
            ("dynamicmaps.cf", "/usr/share/postfix/dynamicmaps.cf"),
        ] {
            if !pf.join("etc").join(file).exists() {
                fs::copy(dist, pf.join("etc").join(file)).unwrap();
            }
        }
        // TLS required, AUTH inside TLS only, and nobody but an authenticated client
        // may give a recipient.
        let auth = format!(
            "-o smtpd_tls_security_level=encrypt -o smtpd_sasl_auth_enable=yes \
             -o smtpd_sasl_type=dovecot -o smtpd_sasl_path={}/dovecot/auth \
             -o smtpd_tls_auth_only=yes -o smtpd_client_restrictions=permit_sasl_authenticated,reject",
            self.dir.display()
        );
        let master = fs::read_to_string(pf.join("etc/master.cf")).unwrap();
        let mut out = String::new();
        for line in master.lines() {
            if line.starts_with("smtp ") && line.contains(" inet ") {
                out.push_str(&format!(
                    "{ENC_IP}:smtp inet n - n - - smtpd -o smtpd_tls_security_level=encrypt\n\
                     {MAY_IP}:smtp inet n - n - - smtpd -o smtpd_tls_security_level=may\n\
                     [{V6_IP}]:smtp inet n - n - - smtpd -o smtpd_tls_security_level=may\n\
                     {EXP_IP}:smtp inet n - n - - smtpd -o smtpd_tls_security_level=may \
                     -o smtpd_tls_cert_file={certs}/expired.pem\n\
                     {AUTH_IP}:smtp inet n - n - - smtpd {auth}\n\
                     {LOGIN_IP}:smtp inet n - n - - smtpd {auth} -o smtpd_sasl_mechanism_filter=login\n\
                     {EIGHT_IP}:smtp inet n - n - - smtpd -o debug_peer_list={A_IP}\n\
                     {NO8_IP}:smtp inet n - n - - smtpd -o debug_peer_list={A_IP} \
                     -o smtpd_discard_ehlo_keywords=8bitmime\n",
                    certs = certs.display(),
                ));
            } else {
                out.push_str(line);
                out.push('\n');
            }
        }
        fs::write(pf.join("etc/master.cf"), out).unwrap();
        let script = format!(
            "mount --bind {pf}/etc /etc/postfix && mount --bind {pf}/spool /var/spool/postfix \
             && mount --bind {pf}/lib /var/lib/postfix && chown postfix /var/lib/postfix \
             && postconf -F '*/*/chroot = n' && exec postfix start-fg",
            pf = pf.display()
        );
        let ns = self.ns_p.clone();
        self.ns_child(
            &ns,
            &[
                "unshare",
                "-m",
                "--propagation",
                "private",
                "/bin/sh",
                "-c",
                &script,
            ],
            "postfix.out",
        );
        let ok = wait_for(20, || {
            self.maillog().contains("daemon started")
                && Command::new("ip")
                    .args(["netns", "exec", &self.ns_p, "python3", "-c"])
                    .arg(format!(
                        "import socket; socket.create_connection(('{MAY_IP}', 25), 1).close()"
                    ))
                    .status()
                    .is_ok_and(|s| s.success())
        });
        assert!(ok, "postfix did not start: {}", self.maillog());
    }

    fn start_stripper(&mut self) {
        let script = self.dir.join("strip.py");
        fs::write(&script, STRIPPER).unwrap();
        let ns = self.ns_p.clone();
        let s = script.display().to_string();
        self.ns_child(&ns, &["python3", &s, STRIP_IP, MAY_IP], "strip.log");
        let ok = wait_for(10, || {
            fs::read_to_string(self.dir.join("strip.log"))
                .unwrap_or_default()
                .contains("listening")
        });
        assert!(ok, "the stripping proxy did not start");
    }

    fn maillog(&self) -> String {
        fs::read_to_string(self.postfix_dir().join("maillog")).unwrap_or_default()
    }

    fn received(&self) -> Vec<String> {
        maildir_messages(&self.postfix_dir().join("mail/box"))
            .iter()
            .map(|m| String::from_utf8_lossy(m).into_owned())
            .collect()
    }

    /// The one message Postfix received with `subject`.
    fn message(&self, subject: &str) -> Option<String> {
        self.received()
            .into_iter()
            .find(|m| m.contains(&format!("\nSubject: {subject}\n")))
    }

    fn start_send(&self) -> Daemon {
        let resolv = self.dir.join("resolv.conf");
        let d = self.a.start(&format!(
            "mount --bind {} /etc/resolv.conf || exit 97; exec ip netns exec {} /bin/bash -c \
             'cd / && exec env - PATH=/var/qmail/bin:/usr/bin:/bin qmail-start ./Maildir/'",
            resolv.display(),
            self.ns_a
        ));
        assert!(d.wait_log("status: local", 1, 20), "{}", d.log_text());
        d
    }

    fn inject(&self, to: &str, subject: &str, body_bytes: usize) {
        let r = self.a.sh(&format!(
            "{{ printf 'Subject: {subject}\\n\\n'; head -c {body_bytes} /dev/zero | tr '\\0' x | fold -w 70; echo; }} \
             | /var/qmail/bin/qmail-inject -f alice@a.test {to}"
        ));
        assert_eq!(r.code, Some(0), "qmail-inject: {}", r.stderr_str());
    }
}

impl Drop for World {
    fn drop(&mut self) {
        for ns in [&self.ns_a, &self.ns_p, &self.ns_d] {
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
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in [&self.ns_a, &self.ns_p, &self.ns_d] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
        if std::env::var_os("QMAIL_E2E_KEEP").is_none() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

#[test]
fn postfix_over_starttls_with_policies_and_a_stripping_attacker() {
    let w = World::new();
    let ca = w.dir.join("certs/ca.pem");
    w.a.control(
        "tlsdestinations",
        &[
            &format!("ver.test:{}", ca.display()),
            "sys.test:",
            &format!("strip.test:{}", ca.display()),
        ],
    );
    // The dead IPv6 address of dual.p.test: give up on it after 2 seconds.
    w.a.control("timeoutconnect", &["2"]);
    let send = w.start_send();
    w.inject("bob@enc.test", "opportunistic", 100);
    w.inject("bob@ver.test", "verified", 100);
    w.inject("bob@sys.test", "unknown-ca", 100);
    w.inject("bob@may.test", "may-level", 100);
    w.inject("bob@strip.test", "stripped-policy", 100);
    w.inject("bob@strip2.test", "stripped-open", 100);
    w.inject("bob@may.test", "too-big", 200_000);
    w.inject("bob@v6only.test", "ipv6-only", 100);
    w.inject("bob@dual.test", "dual-dead-v6", 100);

    let arrived = wait_for(90, || w.received().len() >= 6);
    let log = send.log_text();
    assert!(
        arrived,
        "{} arrived; log: {log}\nmaillog: {}",
        w.received().len(),
        w.maillog()
    );

    // Opportunistic to the `encrypt` Postfix: encrypted, the test CA unknown, said so.
    let m = w.message("opportunistic").expect("opportunistic arrived");
    assert!(m.contains("(using TLSv1.3 with cipher"), "{m}");
    assert!(
        send.wait_log(
            &format!(
                "success: {ENC_IP}_accepted_message./Remote_host_said:_250_2.0.0_Ok:_queued_as_"
            ),
            2,
            30
        ),
        "{log}"
    );
    let log = send.log_text();
    assert!(
        log.contains("/TLS:_TLSv1.3_TLS13_AES_256_GCM_SHA384,_certificate_not_verified_(invalid_peer_certificate:_UnknownIssuer)./"),
        "{log}"
    );
    // Verified against the CA named in tlsdestinations, for the exchanger's name.
    let m = w.message("verified").expect("verified arrived");
    assert!(m.contains("(using TLSv1.3 with cipher"), "{m}");
    assert!(
        log.contains("_certificate_verified_for_mx.p.test./"),
        "{log}"
    );
    // Postfix at `may`: encrypted too.
    let m = w.message("may-level").expect("may-level arrived");
    assert!(m.contains("(using TLSv1.3 with cipher"), "{m}");
    // Through the attacker, a domain without a policy: delivered, in clear.
    let m = w.message("stripped-open").expect("stripped-open arrived");
    assert!(!m.contains("using TLS"), "{m}");

    // Required and not verifiable: deferred, never sent.
    assert!(
        send.wait_log(
            &format!("deferral: Connected_to_{ENC_IP}_but_its_certificate_did_not_verify:_invalid_peer_certificate:_UnknownIssuer._(#4.7.5)/"),
            1,
            30
        ),
        "{}",
        send.log_text()
    );
    assert!(
        send.wait_log(
            &format!("deferral: Connected_to_{STRIP_IP}_but_it_does_not_offer_STARTTLS_and_TLS_is_required._(#4.7.5)/"),
            1,
            30
        ),
        "{}",
        send.log_text()
    );
    // SIZE: Postfix's limit is 100000 bytes; the message is not sent, it bounces.
    assert!(
        send.wait_log(
            &format!("failure: {MAY_IP}_accepts_messages_of_at_most_100000_bytes;_this_one_has_"),
            1,
            30
        ),
        "{}",
        send.log_text()
    );
    assert!(w.message("unknown-ca").is_none());
    assert!(w.message("stripped-policy").is_none());
    assert!(w.message("too-big").is_none());
    // An IPv6-only exchanger: over IPv6, from A's IPv6 address, with TLS.
    let m = w.message("ipv6-only").expect("ipv6-only arrived");
    assert!(m.contains(&format!("[IPv6:{A_IP6}]")), "{m}");
    assert!(m.contains("(using TLSv1.3 with cipher"), "{m}");
    let log = send.log_text();
    assert!(
        log.contains(&format!("success: {V6_IP}_accepted_message./")),
        "{log}"
    );
    // Dual stack with a dead IPv6 address: delivered over IPv4.
    let m = w.message("dual-dead-v6").expect("dual-dead-v6 arrived");
    assert!(m.contains(&format!("[{A_IP}]")), "{m}");
    assert!(
        log.matches(&format!("success: {MAY_IP}_accepted_message./"))
            .count()
            >= 2,
        "{log}"
    );
    // The dead IPv6 address timed out, and lock/tcpto says so (its IPv6 table).
    let r = w.a.sh("/var/qmail/bin/qmail-tcpto");
    assert_eq!(r.code, Some(0), "{}", r.stderr_str());
    let out = String::from_utf8_lossy(&r.stdout).into_owned();
    assert!(
        out.lines()
            .any(|l| l.starts_with(&format!("{DEAD_IP6} timed out "))
                && l.ends_with("; # recent timeouts: 1")),
        "{out}"
    );
    assert_eq!(w.received().len(), 6, "{}", w.maillog());
    let maillog = w.maillog();
    assert!(
        !maillog.contains("Subject: stripped-policy"),
        "nothing of the policy message reached Postfix"
    );
}

/// DANE: a validating resolver (unbound) in front of an authoritative server (nsd) with a
/// signed zone. TLSA records with the AD bit are a must and checked; a stripper cannot
/// take TLS away; TLSA records in an unsigned zone (no AD) change nothing.
#[test]
fn dane_with_a_validating_resolver() {
    let w = World::with_dns(Dns::Dnssec);
    let send = w.start_send();
    w.inject("bob@ee.d.test", "dane-ee", 100);
    w.inject("bob@ta.d.test", "dane-ta", 100);
    w.inject("bob@bad.d.test", "dane-mismatch", 100);
    w.inject("bob@strip.d.test", "dane-stripped", 100);
    w.inject("bob@plain.u.test", "no-ad", 100);
    let arrived = wait_for(60, || w.received().len() >= 3);
    let log = send.log_text();
    let unbound = fs::read_to_string(w.dir.join("unbound.log")).unwrap_or_default();
    assert!(
        arrived,
        "{} arrived; log: {log}\nunbound: {unbound}\nmaillog: {}",
        w.received().len(),
        w.maillog()
    );
    for (subject, record, mx) in [
        ("dane-ee", "DANE-EE_3_1_1", "mxee.d.test"),
        ("dane-ta", "DANE-TA_2_0_1", "mxta.d.test"),
    ] {
        let m = w.message(subject).expect(subject);
        assert!(m.contains("(using TLSv1.3 with cipher"), "{m}");
        assert!(
            send.wait_log(&format!(",_dane_verified_({record})_for_{mx}./"), 1, 30),
            "{}",
            send.log_text()
        );
    }
    // Without AD the TLSA record (which matches nothing) is not looked at.
    let m = w.message("no-ad").expect("no-ad arrived");
    assert!(m.contains("(using TLSv1.3 with cipher"), "{m}");
    assert!(
        send.wait_log(
            "_certificate_not_verified_(invalid_peer_certificate:_UnknownIssuer)./",
            1,
            30
        ),
        "{}",
        send.log_text()
    );
    // A certificate no record matches: deferred, the message never sent.
    assert!(
        send.wait_log(
            &format!("deferral: Connected_to_{MAY_IP}_but_its_certificate_did_not_match_its_TLSA_records_(DANE):_no_TLSA_record_matches_the_server's_certificate_chain._(#4.7.5)/"),
            1,
            30
        ),
        "{}",
        send.log_text()
    );
    // STARTTLS stripped on the way: deferred, never sent in clear.
    assert!(
        send.wait_log(
            &format!("deferral: Connected_to_{STRIP_IP}_but_it_does_not_offer_STARTTLS_and_its_TLSA_records_(DANE)_require_TLS._(#4.7.5)/"),
            1,
            30
        ),
        "{}",
        send.log_text()
    );
    assert!(w.message("dane-mismatch").is_none());
    assert!(w.message("dane-stripped").is_none());
    assert_eq!(w.received().len(), 3, "{}", w.maillog());
}

impl World {
    /// A message from `from` with an 8-bit body (UTF-8) when `eight_bit`.
    fn inject_from(&self, from: &str, to: &str, subject: &str, eight_bit: bool) {
        let body = if eight_bit {
            "caf\\303\\251 na\\303\\257ve"
        } else {
            "plain ascii"
        };
        let r = self.a.sh(&format!(
            "printf 'Subject: {subject}\\n\\n{body}\\n' | /var/qmail/bin/qmail-inject -f {from} {to}"
        ));
        assert_eq!(r.code, Some(0), "qmail-inject: {}", r.stderr_str());
    }
}

/// AUTH PLAIN and LOGIN over STARTTLS to Postfix with Dovecot SASL, and a wrong password;
/// an expired certificate under a verify policy and under opportunistic TLS;
/// BODY=8BITMIME to a Postfix that offers 8BITMIME, and not to one that does not.
#[test]
fn auth_expired_certificate_and_8bitmime() {
    let w = World::new();
    let ca = w.dir.join("certs/ca.pem");
    w.a.control(
        "smtproutes",
        &[
            "authp.test:auth.p.test",
            "authl.test:login.p.test",
            "authbad.test:authbad.p.test",
        ],
    );
    w.a.control(
        "smtpauth",
        &[
            "auth.p.test|carol|s3cret|x y",
            "login.p.test|carol|s3cret|x y",
            "authbad.p.test|carol|wrong",
        ],
    );
    let r =
        w.a.sh("chown qmailr /var/qmail/control/smtpauth && chmod 600 /var/qmail/control/smtpauth");
    assert_eq!(r.code, Some(0), "{}", r.stderr_str());
    w.a.control(
        "tlsdestinations",
        &[&format!("expver.test:{}", ca.display())],
    );
    let send = w.start_send();
    w.inject("bob@authp.test", "auth-plain", 100);
    w.inject("bob@authl.test", "auth-login", 100);
    w.inject("bob@authbad.test", "auth-wrong", 100);
    w.inject("bob@expver.test", "expired-verify", 100);
    w.inject("bob@expopp.test", "expired-opportunistic", 100);
    w.inject_from("e8@a.test", "bob@eight.test", "eight-bit", true);
    w.inject_from("e7@a.test", "bob@eight.test", "seven-bit", false);
    w.inject_from("n8@a.test", "bob@no8.test", "eight-bit-no8", true);
    let arrived = wait_for(60, || w.received().len() >= 6);
    let log = send.log_text();
    assert!(
        arrived,
        "{} arrived; log: {log}\nmaillog: {}",
        w.received().len(),
        w.maillog()
    );
    let maillog = w.maillog();

    // AUTH: PLAIN where both are offered, LOGIN where only it is, inside TLS.
    for (subject, ip, method) in [
        ("auth-plain", AUTH_IP, "PLAIN"),
        ("auth-login", LOGIN_IP, "LOGIN"),
    ] {
        let m = w.message(subject).expect(subject);
        assert!(m.contains("(using TLSv1.3 with cipher"), "{m}");
        assert!(
            maillog.contains(&format!(
                "client=unknown[{A_IP}], sasl_method={method}, sasl_username=carol"
            )),
            "{maillog}"
        );
        assert!(
            log.contains(&format!("success: {ip}_accepted_message./")),
            "{log}"
        );
    }
    // A wrong password: a deferral with the server's reply, not a bounce.
    assert!(
        send.wait_log(
            &format!("deferral: Connected_to_{AUTH_IP}_but_authentication_was_rejected./Remote_host_said:_535_5.7.8_Error:_authentication_failed:"),
            1,
            30
        ),
        "{}",
        send.log_text()
    );
    assert!(w.message("auth-wrong").is_none());

    // An expired certificate: a verify policy defers and says why; opportunistic TLS
    // delivers, encrypted, and says the certificate was not verified.
    assert!(
        send.wait_log(
            &format!("deferral: Connected_to_{EXP_IP}_but_its_certificate_did_not_verify:_invalid_peer_certificate:_Expired._(#4.7.5)/"),
            1,
            30
        ),
        "{}",
        send.log_text()
    );
    assert!(w.message("expired-verify").is_none());
    let m = w
        .message("expired-opportunistic")
        .expect("expired-opportunistic arrived");
    assert!(m.contains("(using TLSv1.3 with cipher"), "{m}");
    let log = send.log_text();
    assert!(
        log.contains(&format!("success: {EXP_IP}_accepted_message./"))
            && log.contains("certificate_not_verified_(invalid_peer_certificate:_Expired)./"),
        "{log}"
    );

    // 8BITMIME: declared for the 8-bit message, not for the 7-bit one, and not to a
    // server that does not offer it. The bytes arrive unchanged.
    let mail_from = |sender: &str| -> String {
        maillog
            .lines()
            .find(|l| l.contains(&format!(": MAIL FROM:<{sender}>")))
            .unwrap_or_else(|| panic!("no MAIL from {sender} in {maillog}"))
            .to_string()
    };
    assert!(
        mail_from("e8@a.test").ends_with(" BODY=8BITMIME"),
        "{maillog}"
    );
    assert!(!mail_from("e7@a.test").contains("BODY="), "{maillog}");
    assert!(!mail_from("n8@a.test").contains("BODY="), "{maillog}");
    for subject in ["eight-bit", "eight-bit-no8"] {
        let m = w.message(subject).expect(subject);
        assert!(m.contains("caf\u{e9} na\u{ef}ve"), "{m}");
    }
    assert!(w.message("seven-bit").is_some());
    assert_eq!(w.received().len(), 6, "{maillog}");
}
