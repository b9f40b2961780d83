//! The pieces the STARTTLS, AUTH and submission tests share: qmail-tlsd in front of
//! qmail-smtpd under a real tcpserver, a certificate made with openssl, qmail-send
//! delivering to Maildirs, a checkpassword script.
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{maildir_messages, wait_for, Daemon, Sandbox};

pub const DOMAIN: &str = "tls.example";

pub struct Server {
    pub port: u16,
    pub daemon: Daemon,
}

/// tcpserver as root on a free loopback port running `qmail-tlsd [-i] qmail-smtpd`.
pub fn server(sb: &Sandbox, env: &str, tlsd_opts: &str) -> Server {
    server_args(sb, env, tlsd_opts, "")
}

/// The same with arguments for qmail-smtpd (hostname, checkpassword…).
pub fn server_args(sb: &Sandbox, env: &str, tlsd_opts: &str, smtpd_args: &str) -> Server {
    let (port, daemon) = sb.start_tcpserver(|port| {
        format!(
            "exec env - PATH=/var/qmail/bin:/usr/bin:/bin {env} \
             tcpserver -v -R -H -l {DOMAIN} -c 5 127.0.0.1 {port} \
             qmail-tlsd {tlsd_opts} qmail-smtpd {smtpd_args}"
        )
    });
    Server { port, daemon }
}

/// A self-signed certificate for DOMAIN and 127.0.0.1 (valid for two days, or only in
/// January 2020), as control/servercert.pem (chain and key in one file), owned by qmailt,
/// mode 0400. Returns the certificate alone (for clients' CA file).
pub fn certificate(sb: &Sandbox, expired: bool) -> PathBuf {
    let dir = sb.scratch();
    let (key, crt) = (dir.join("key.pem"), dir.join("crt.pem"));
    let script = if expired {
        // `openssl ca` takes dates in the past (`req -not_before` needs OpenSSL 3.4).
        format!(
            "set -e; cd {d}
printf '[ca]\\ndefault_ca = d\\n[d]\\ndatabase = index.txt\\nnew_certs_dir = .\\nserial = serial\\ndefault_md = sha256\\npolicy = p\\n[p]\\ncommonName = supplied\\n[x]\\nsubjectAltName = DNS:{DOMAIN},IP:127.0.0.1\\nbasicConstraints = CA:TRUE\\n' > ca.cnf
: > index.txt; echo 01 > serial
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN={DOMAIN} -keyout key.pem -out r.csr
openssl ca -batch -config ca.cnf -selfsign -keyfile key.pem -in r.csr -out crt.pem -notext -startdate 20200101000000Z -enddate 20200201000000Z -extfile ca.cnf -extensions x",
            d = dir.display()
        )
    } else {
        format!(
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
             -subj /CN={DOMAIN} -addext subjectAltName=DNS:{DOMAIN},IP:127.0.0.1 \
             -keyout {k} -out {c} -days 2",
            k = key.display(),
            c = crt.display()
        )
    };
    let out = Command::new("sh").args(["-c", &script]).output().unwrap();
    assert!(
        out.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut pem = std::fs::read(&crt).unwrap();
    pem.extend(std::fs::read(&key).unwrap());
    let dest = sb.path("control/servercert.pem");
    std::fs::write(&dest, pem).unwrap();
    let r = sb.sh("chown qmailt /var/qmail/control/servercert.pem && chmod 400 /var/qmail/control/servercert.pem");
    assert_eq!(r.code, Some(0), "{}", r.stderr_str());
    crt
}

pub fn system() -> (Sandbox, Daemon) {
    let sb = Sandbox::new();
    sb.control("me", &[DOMAIN]);
    sb.control("locals", &[DOMAIN]);
    sb.control("rcpthosts", &[DOMAIN]);
    let send = sb.start_send("./Maildir/");
    (sb, send)
}

pub fn wait_messages(maildir: &Path, n: usize) -> Vec<String> {
    wait_for(30, || maildir_messages(maildir).len() >= n);
    maildir_messages(maildir)
        .into_iter()
        .map(|m| String::from_utf8_lossy(&m).into_owned())
        .collect()
}

pub fn python(script: &str) -> String {
    let out = Command::new("python3")
        .args(["-c", script])
        .output()
        .unwrap();
    let so = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "python: {so}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    so
}

/// A checkpassword program (a shell script reading descriptor 3) that knows alice with
/// password s3cret; its path.
pub fn checkpassword_script(sb: &Sandbox) -> String {
    let dir = sb.scratch();
    let p = dir.join("checkpw");
    std::fs::write(
        &p,
        "#!/bin/bash\n{ IFS= read -r -d '' u; IFS= read -r -d '' p; } <&3\n\
         [ \"$u\" = alice ] && [ \"$p\" = s3cret ] && exec \"$@\"\nexit 1\n",
    )
    .unwrap();
    let r = sb.sh(&format!("chmod 755 {}", p.display()));
    assert_eq!(r.code, Some(0));
    p.display().to_string()
}
