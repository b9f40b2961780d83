//! STARTTLS against a server with an independent TLS stack (Python's ssl module, that is
//! OpenSSL) on 127.0.0.1, certificates made by the openssl command for each test:
//! opportunistic TLS, verified TLS required by control/tlsdestinations, a certificate
//! for another name, a server whose STARTTLS was stripped, a broken handshake.
//! Needs root, python3 and openssl.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;
use common::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SERVER: &str = include_str!("common/starttls_server.py");

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl (apt-get install openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a certificate it signed for 127.0.0.1 (good), and one it signed for another
/// name (wrong), in `dir`.
fn certificates(dir: &Path) {
    fs::create_dir_all(dir).unwrap();
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
    openssl(dir, &ca);
    for (name, san) in [
        ("good", "IP:127.0.0.1,DNS:localhost"),
        ("wrong", "DNS:wrong.example"),
    ] {
        let mut req = vec!["req"];
        req.extend_from_slice(&ec);
        let key = format!("{name}.key");
        let csr = format!("{name}.csr");
        req.extend_from_slice(&["-keyout", &key, "-out", &csr, "-subj", "/CN=server"]);
        openssl(dir, &req);
        let ext = format!("{name}.ext");
        fs::write(
            dir.join(&ext),
            format!("subjectAltName={san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n"),
        )
        .unwrap();
        let pem = format!("{name}.pem");
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "30",
                "-out",
                &pem,
                "-extfile",
                &ext,
            ],
        );
    }
}

struct TlsServer {
    child: Child,
    log: PathBuf,
    port: u16,
}

impl TlsServer {
    fn start(dir: &Path, cert: &str, mode: &str, connections: u32) -> TlsServer {
        let script = dir.join("server.py");
        fs::write(&script, SERVER).unwrap();
        let portfile = dir.join(format!("port.{mode}.{cert}"));
        let _ = fs::remove_file(&portfile);
        let log = dir.join(format!("log.{mode}.{cert}"));
        fs::write(&log, "").unwrap();
        let child = Command::new("python3")
            .arg(&script)
            .arg(&portfile)
            .arg(&log)
            .arg(dir.join(format!("{cert}.pem")))
            .arg(dir.join(format!("{cert}.key")))
            .arg(mode)
            .arg(connections.to_string())
            .stdin(Stdio::null())
            .spawn()
            .expect("python3");
        let start = Instant::now();
        while !portfile.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let port = fs::read_to_string(&portfile).unwrap().parse().unwrap();
        TlsServer { child, log, port }
    }

    /// The server's log once it has served all its connections (qmail-remote does not
    /// wait for the answer to QUIT), or after 10 seconds.
    fn log(&self) -> String {
        let start = Instant::now();
        loop {
            let text = fs::read_to_string(&self.log).unwrap_or_default();
            if text.ends_with("done\n") || start.elapsed() > Duration::from_secs(10) {
                return text;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn setup() -> (Home, PathBuf) {
    let h = Home::new();
    let dir = h.home.path("certs");
    certificates(&dir);
    (h, dir)
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[test]
fn opportunistic_tls_is_used_and_reported() {
    let (h, dir) = setup();
    let srv = TlsServer::start(&dir, "wrong", "tls", 1);
    h.route_to(srv.port);
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    let out = text(&out);
    // A certificate for another name: still encrypted (opportunistic), and said so.
    assert!(
        out.starts_with(
            "r\0K127.0.0.1 accepted message.\nRemote host said: 250 ok queued\nTLS: TLSv1.3 TLS13_"
        ),
        "{out}"
    );
    assert!(out.contains(", certificate not verified ("), "{out}");
    let log = srv.log();
    assert!(log.contains("\ntls TLSv1.3 "), "{log}");
    // Everything after STARTTLS went inside TLS, EHLO again first.
    assert!(
        log.contains("\n[tls] EHLO helo.example\n[tls] MAIL FROM:<sender@me.example>\n[tls] RCPT TO:<r@remote.example>\n[tls] DATA\nmessage received\n[tls] QUIT\n"),
        "{log}"
    );
    assert!(!log.contains("\nMAIL"), "{log}");
}

#[test]
fn verified_tls_required_delivers_with_the_right_ca() {
    let (h, dir) = setup();
    let srv = TlsServer::start(&dir, "good", "tls", 1);
    h.route_to(srv.port);
    h.control(
        "tlsdestinations",
        &format!("remote.example:{}\n", dir.join("ca.pem").display()),
    );
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    let out = text(&out);
    assert!(
        out.starts_with("r\0K127.0.0.1 accepted message.\n"),
        "{out}"
    );
    assert!(
        out.ends_with(", certificate verified for 127.0.0.1.\n\0"),
        "{out}"
    );
    assert!(srv.log().contains("message received"));
}

#[test]
fn verified_tls_required_defers_on_a_wrong_name_or_unknown_ca() {
    let (h, dir) = setup();
    // The right CA, a certificate for another name.
    let srv = TlsServer::start(&dir, "wrong", "tls", 1);
    h.route_to(srv.port);
    h.control(
        "tlsdestinations",
        &format!("remote.example:{}\n", dir.join("ca.pem").display()),
    );
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    let out = text(&out);
    assert!(
        out.starts_with("ZConnected to 127.0.0.1 but its certificate did not verify: "),
        "{out}"
    );
    assert!(out.ends_with("(#4.7.5)\n\0"), "{out}");
    let log = srv.log();
    assert!(!log.contains("MAIL"), "{log}");

    // The system's CAs (`*:`) do not know the test CA.
    let srv = TlsServer::start(&dir, "good", "tls", 1);
    h.route_to(srv.port);
    h.control("tlsdestinations", "*:\n");
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    let out = text(&out);
    assert!(
        out.starts_with("ZConnected to 127.0.0.1 but its certificate did not verify: "),
        "{out}"
    );
    assert!(!srv.log().contains("MAIL"));
}

#[test]
fn stripped_starttls_defers_a_policy_domain_and_not_others() {
    let (h, dir) = setup();
    let srv = TlsServer::start(&dir, "good", "strip", 2);
    h.route_to(srv.port);
    h.control("tlsdestinations", "remote.example:\n");
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert_eq!(
        text(&out),
        "ZConnected to 127.0.0.1 but it does not offer STARTTLS and TLS is required. (#4.7.5)\n\0"
    );
    // Another domain through the same server: opportunistic, delivered in clear.
    h.control(
        "smtproutes",
        &format!(
            "remote.example:127.0.0.1:{0}\nother.example:127.0.0.1:{0}\n",
            srv.port
        ),
    );
    let (_, out) = h.run(
        &[b"other.example", b"sender@me.example", b"r@other.example"],
        MSG,
    );
    let out = text(&out);
    assert_eq!(
        out,
        "r\0K127.0.0.1 accepted message.\nRemote host said: 250 ok queued\n\0"
    );
    let log = srv.log();
    assert_eq!(log.matches("MAIL FROM").count(), 1, "{log}");
    assert!(!log.contains("[tls]"), "{log}");
}

#[test]
fn broken_handshake_retries_in_clear_unless_tls_is_required() {
    let (h, dir) = setup();
    let srv = TlsServer::start(&dir, "good", "garbage", 2);
    h.route_to(srv.port);
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert_eq!(
        text(&out),
        "r\0K127.0.0.1 accepted message.\nRemote host said: 250 ok queued\nTLS: handshake failed, sent without TLS.\n\0"
    );
    let log = srv.log();
    // The second connection did not try STARTTLS again.
    assert_eq!(log.matches("STARTTLS").count(), 1, "{log}");
    assert!(log.contains("message received"), "{log}");

    let srv = TlsServer::start(&dir, "good", "garbage", 1);
    h.route_to(srv.port);
    h.control("tlsdestinations", "remote.example:\n");
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    let out = text(&out);
    assert!(
        out.starts_with("ZConnected to 127.0.0.1 but the TLS handshake failed: "),
        "{out}"
    );
    assert!(!srv.log().contains("MAIL"));
}

#[test]
fn a_reply_injected_after_starttls_is_refused() {
    let (h, dir) = setup();
    let srv = TlsServer::start(&dir, "good", "inject", 1);
    h.route_to(srv.port);
    h.control("tlsdestinations", "remote.example:\n");
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    let out = text(&out);
    assert!(
        out.starts_with(
            "ZConnected to 127.0.0.1 but the TLS handshake failed: server sent data after its reply to STARTTLS"
        ),
        "{out}"
    );
    assert!(!srv.log().contains("MAIL"));
}

#[test]
fn no_tls_for_a_minus_entry_and_a_bad_policy_line_defers() {
    let (h, dir) = setup();
    let srv = TlsServer::start(&dir, "good", "tls", 1);
    h.route_to(srv.port);
    h.control("tlsdestinations", "# never TLS there\n-remote.example\n");
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert_eq!(
        text(&out),
        "r\0K127.0.0.1 accepted message.\nRemote host said: 250 ok queued\n\0"
    );
    assert!(!srv.log().contains("STARTTLS"));

    h.control("tlsdestinations", "remote.example:\nbad line\n");
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert_eq!(
        text(&out),
        "ZUnable to parse control/tlsdestinations: line 2 is not valid. (#4.3.0)\n\0"
    );
}

#[test]
fn client_certificate_is_presented() {
    let (h, dir) = setup();
    // The good certificate and its key in one file, as the qmail TLS patch keeps them.
    let mut both = fs::read(dir.join("good.pem")).unwrap();
    both.extend(fs::read(dir.join("good.key")).unwrap());
    h.home.write("control/clientcert.pem", &both);
    let srv = TlsServer::start(&dir, "good", "tls", 1);
    h.route_to(srv.port);
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert!(
        text(&out).starts_with("r\0K127.0.0.1 accepted"),
        "{}",
        text(&out)
    );
    let log = srv.log();
    assert!(
        log.contains("client certificate (('IP Address', '127.0.0.1'), ('DNS', 'localhost'))"),
        "{log}"
    );

    // A readable file without a key is a temporary failure, not a silent skip.
    h.home.write(
        "control/clientcert.pem",
        fs::read(dir.join("good.pem")).unwrap(),
    );
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    let out = text(&out);
    assert!(
        out.starts_with("ZNo private key in control/clientcert.pem"),
        "{out}"
    );
}

fn smtpauth(h: &Home, text: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let p = h.home.write("control/smtpauth", text);
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn auth_plain_and_login_inside_tls_only() {
    let (h, dir) = setup();
    smtpauth(&h, "# relay|user|password\n127.0.0.1|alice|s3cr|t\n", 0o600);
    let srv = TlsServer::start(&dir, "good", "auth", 1);
    h.route_to(srv.port);
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert!(
        text(&out).starts_with("r\0K127.0.0.1 accepted message."),
        "{}",
        text(&out)
    );
    let log = srv.log();
    assert!(
        log.contains("[tls] AUTH PLAIN AGFsaWNlAHMzY3J8dA==\nauth plain ok\n[tls] MAIL FROM:"),
        "{log}"
    );

    let srv = TlsServer::start(&dir, "good", "authlogin", 1);
    h.route_to(srv.port);
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert!(
        text(&out).starts_with("r\0K127.0.0.1 accepted message."),
        "{}",
        text(&out)
    );
    assert!(
        srv.log()
            .contains("[tls] AUTH LOGIN\nauth login ok\n[tls] MAIL FROM:"),
        "{}",
        srv.log()
    );

    // A wrong password: a temporary failure with the server's reply, no MAIL.
    smtpauth(&h, "127.0.0.1|alice|wrong\n", 0o600);
    let srv = TlsServer::start(&dir, "good", "auth", 1);
    h.route_to(srv.port);
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    let out = text(&out);
    assert!(
        out.starts_with("ZConnected to 127.0.0.1 but authentication was rejected.\nRemote host said: 535 5.7.8 bad credentials\nTLS: TLSv1.3 "),
        "{out}"
    );
    assert!(!srv.log().contains("MAIL"));

    // No STARTTLS (stripped): the password is not sent in clear.
    smtpauth(&h, "127.0.0.1|alice|s3cr|t\n", 0o600);
    let srv = TlsServer::start(&dir, "good", "strip", 1);
    h.route_to(srv.port);
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert_eq!(
        text(&out),
        "ZConnected to 127.0.0.1 but it does not offer STARTTLS and TLS is required. (#4.7.5)\n\0"
    );
    assert!(!srv.log().contains("AUTH"));

    // A password file others may read is refused before any connection.
    smtpauth(&h, "127.0.0.1|alice|s3cr|t\n", 0o644);
    let (_, out) = h.run(&args(&[b"r@remote.example"]), MSG);
    assert_eq!(
        text(&out),
        "Zcontrol/smtpauth may be read by others than its owner; it holds passwords (chmod 600). (#4.3.0)\n\0"
    );
}
