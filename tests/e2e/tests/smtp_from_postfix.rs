//! Postfix 3.7 as a relaying client of qmail-tlsd and qmail-smtpd, with
//! `smtp_tls_security_level = encrypt`: to a "port 25" server, to a submission server with
//! SMTP AUTH (Postfix's SASL client, PLAIN), and to a bare qmail-smtpd without TLS, which
//! Postfix must refuse to use. Postfix runs in the test's mount namespace with its own
//! configuration, queue and data directories, listening on a loopback port; Python's
//! smtplib hands it the messages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use qmail_e2e::smtptls::{
    certificate, checkpassword_script, python, server_args, system, wait_messages, DOMAIN,
};
use qmail_e2e::{mailbox, wait_for, Daemon, Sandbox};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running Postfix. Its master makes a session of its own (out of reach of the
/// Daemon's process group): it is stopped through its pid file.
struct Postfix {
    _daemon: Daemon,
    dir: PathBuf,
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let pid = fs::read_to_string(self.dir.join("spool/pid/master.pid")).unwrap_or_default();
        if let Ok(pid) = pid.trim().parse::<i32>() {
            let master = nix::unistd::Pid::from_raw(pid);
            let _ = nix::sys::signal::kill(master, nix::sys::signal::Signal::SIGTERM);
            wait_for(10, || nix::sys::signal::kill(master, None).is_err());
        }
    }
}

/// Postfix listening on 127.0.0.1:`port`, relaying by `transports` and authenticating by
/// `sasl` (inline: maps, `key=value, …`).
fn postfix(sb: &Sandbox, port: u16, transports: &str, sasl: &str) -> (Postfix, PathBuf) {
    let pf = sb.scratch().join("postfix");
    for d in ["etc", "spool", "lib"] {
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
    for (file, dist) in [
        ("master.cf", "/usr/share/postfix/master.cf.dist"),
        ("dynamicmaps.cf", "/usr/share/postfix/dynamicmaps.cf"),
    ] {
        if !pf.join("etc").join(file).exists() {
            fs::copy(dist, pf.join("etc").join(file)).unwrap();
        }
    }
    fs::write(
        pf.join("etc/main.cf"),
        format!(
            "compatibility_level = 3.6\nmyhostname = relay.client.test\nmydestination =\n\
             inet_interfaces = 127.0.0.1\ninet_protocols = ipv4\nmynetworks = 127.0.0.0/8\n\
             alias_maps =\nalias_database =\nbiff = no\n\
             maillog_file_prefixes = {pf}\nmaillog_file = {pf}/maillog\n\
             smtp_dns_support_level = disabled\n\
             transport_maps = inline:{{ {transports} }}\n\
             smtp_tls_security_level = encrypt\nsmtp_tls_loglevel = 1\n\
             smtp_sasl_auth_enable = yes\n\
             smtp_sasl_password_maps = inline:{{ {sasl} }}\n\
             smtp_sasl_security_options = noanonymous\n\
             smtp_sasl_tls_security_options = noanonymous\n",
            pf = pf.display(),
        ),
    )
    .unwrap();
    let master = fs::read_to_string(pf.join("etc/master.cf")).unwrap();
    let mut out = String::new();
    for line in master.lines() {
        if line.starts_with("smtp ") && line.contains(" inet ") {
            out.push_str(&format!("127.0.0.1:{port} inet n - n - - smtpd\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    fs::write(pf.join("etc/master.cf"), out).unwrap();
    let d = sb.start(&format!(
        "mount --bind {pf}/etc /etc/postfix && mount --bind {pf}/spool /var/spool/postfix \
         && mount --bind {pf}/lib /var/lib/postfix && chown postfix /var/lib/postfix \
         && postconf -F '*/*/chroot = n' && exec postfix start-fg",
        pf = pf.display()
    ));
    let log = pf.join("maillog");
    let ok = wait_for(30, || {
        fs::read_to_string(&log).is_ok_and(|l| l.contains("daemon started"))
            && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(
        ok,
        "postfix did not start: {}{}",
        d.log_text(),
        fs::read_to_string(&log).unwrap_or_default()
    );
    (
        Postfix {
            _daemon: d,
            dir: pf,
        },
        log,
    )
}

fn maillog(log: &Path) -> String {
    fs::read_to_string(log).unwrap_or_default()
}

#[test]
fn postfix_relays_into_qmail_tlsd_with_tls_required() {
    let (sb, _send) = system();
    let homes: Vec<_> = ["pfmx", "pfsub", "pfbare"]
        .iter()
        .map(|l| mailbox(&sb, l))
        .collect();
    certificate(&sb, false);
    let chk = checkpassword_script(&sb);
    let mx = server_args(&sb, "", "", "");
    let sub = server_args(
        &sb,
        "SUBMISSION=1",
        "",
        &format!("{DOMAIN} {chk} /bin/true"),
    );
    // A bare qmail-smtpd: no STARTTLS, so `encrypt` must not deliver there.
    let bare_port = free_port();
    let bare = sb.start(&format!(
        "exec env - PATH=/var/qmail/bin:/usr/bin:/bin \
         tcpserver -v -R -H -l {DOMAIN} -u $(id -u qmaild) -g $(id -g qmaild) \
         127.0.0.1 {bare_port} qmail-smtpd"
    ));
    assert!(bare.wait_log("status: 0/", 1, 10), "{}", bare.log_text());
    let pf_port = free_port();
    let (_pf, log) = postfix(
        &sb,
        pf_port,
        &format!(
            "pfmx@{DOMAIN}=smtp:[127.0.0.1]:{}, \
             pfsub@{DOMAIN}=smtp:[127.0.0.1]:{}, \
             pfbare@{DOMAIN}=smtp:[127.0.0.1]:{bare_port}",
            mx.port, sub.port
        ),
        &format!("[127.0.0.1]:{}=alice:s3cret", sub.port),
    );
    python(&format!(
        r#"
import smtplib
s = smtplib.SMTP("127.0.0.1", {pf_port})
for who in ("mx", "sub", "bare"):
    s.sendmail("sender@client.test", ["pf%s@{DOMAIN}" % who],
        ("Subject: via postfix to %s\r\n\r\nrelayed by postfix\r\n" % who).encode())
s.quit()
"#
    ));
    let mut msgs = wait_messages(&homes[0].join("Maildir"), 1);
    msgs.extend(wait_messages(&homes[1].join("Maildir"), 1));
    assert_eq!(
        msgs.len(),
        2,
        "{msgs:?}\n{}\n{}\n{}",
        maillog(&log),
        mx.daemon.log_text(),
        sub.daemon.log_text()
    );
    let mx_msg = msgs
        .iter()
        .find(|m| m.contains("Subject: via postfix to mx"))
        .unwrap();
    assert!(
        mx_msg.contains("Received: from unknown (HELO relay.client.test) (127.0.0.1)\n  by tls.example with (TLSv1.3 "),
        "{mx_msg}"
    );
    let sub_msg = msgs
        .iter()
        .find(|m| m.contains("Subject: via postfix to sub"))
        .unwrap();
    assert!(
        sub_msg.contains(
            "(HELO relay.client.test) (alice@127.0.0.1)\n  by tls.example with (TLSv1.3 "
        ),
        "{sub_msg}"
    );
    let l = maillog(&log);
    assert!(
        l.matches("TLS connection established to 127.0.0.1[127.0.0.1]")
            .count()
            >= 2,
        "{l}"
    );
    assert!(
        wait_for(20, || maillog(&log)
            .contains("TLS is required, but was not offered")),
        "{}",
        maillog(&log)
    );
    assert!(qmail_e2e::maildir_messages(&homes[2].join("Maildir")).is_empty());
    assert!(
        sub.daemon
            .log_text()
            .contains("auth ok for alice from 127.0.0.1"),
        "{}",
        sub.daemon.log_text()
    );
}
