//! Scale-out past one machine: two null clients hand every message over QMQP to a hub
//! that delivers it, locally and to a domain with two MX hosts of which one is down.
//! Five network namespaces on one bridge, each host with its own private /var/qmail and
//! nothing shared but the network:
//!
//! ```text
//!   c1 10.56.0.2   null client: QMAILQUEUE=qmail-qmqpc, control/qmqpservers
//!   c2 10.56.0.3   null client, the mini-qmail way: bin/qmail-queue is qmail-qmqpc
//!   hub 10.56.0.4  qmail-qmqpd under tcpserver on port 628, qmail-send (hub.test local)
//!   mx 10.56.0.5   qmail-smtpd under tcpserver on port 25, qmail-send (x.test local)
//!   dns 10.56.0.1  the bridge and dnsmasq: x.test MX 10 down.x.test (c1, where nothing
//!                  listens on port 25: a host whose MTA is down), MX 20 mx.x.test
//! ```
//! The clients' first QMQP server is mx's address, where nothing listens on port 628 (a
//! QMQP server that is down): each message is refused there and goes to the hub.
//! Every message from both clients must arrive exactly once at both destinations.
//!
//! Needs root, ip, dnsmasq and tcpserver. Everything the test creates is removed when it
//! ends, also when it fails (`Net`'s Drop).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use qmail_e2e::netns::{self, ip};
use qmail_e2e::{mailbox, maildir_messages, uid_of, wait_for, Daemon, Sandbox};

const DNS_IP: &str = "10.56.0.1";
const C1_IP: &str = "10.56.0.2";
const C2_IP: &str = "10.56.0.3";
const HUB_IP: &str = "10.56.0.4";
const MX_IP: &str = "10.56.0.5";
/// Messages each client sends.
const N: usize = 12;

fn gid_of(name: &str) -> u32 {
    nix::unistd::User::from_name(name)
        .ok()
        .flatten()
        .map(|u| u.gid.as_raw())
        .expect("user exists")
}

/// The namespaces (dns first), dnsmasq, and a directory for resolv.conf and logs.
struct Net {
    names: Vec<String>,
    dir: PathBuf,
    dnsmasq: Option<Child>,
}

impl Net {
    /// One namespace per (name, address) on a bridge in the dns namespace.
    fn new(hosts: &[(&str, &str)]) -> Net {
        let base = format!("qq{}", std::process::id());
        let dir = std::env::temp_dir().join(format!("qmail-e2e-qmqp.{base}"));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let mut names = vec![format!("{base}d")];
        names.extend(hosts.iter().map(|(h, _)| format!("{base}{h}")));
        // The guard exists before the first namespace does, so a failed setup cleans up.
        let net = Net {
            names,
            dir,
            dnsmasq: None,
        };
        for ns in &net.names {
            ip(&["netns", "add", ns]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        let d = &net.names[0];
        netns::bridge(d, &format!("{DNS_IP}/24"));
        for (i, (_, addr)) in hosts.iter().enumerate() {
            let ns = &net.names[i + 1];
            let peer = format!("p{i}");
            netns::attach(d, ns, &peer, &format!("{addr}/24"));
        }
        fs::write(
            net.dir.join("resolv.conf"),
            format!("nameserver {DNS_IP}\noptions timeout:2 attempts:2\n"),
        )
        .unwrap();
        net
    }

    fn ns(&self, host: usize) -> &str {
        &self.names[host + 1]
    }

    fn start_dns(&mut self, config: &str) {
        let conf = self.dir.join("dnsmasq.conf");
        fs::write(&conf, config).unwrap();
        let log = fs::File::create(self.dir.join("dnsmasq.log")).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", &self.names[0], "dnsmasq", "--no-daemon"])
            .arg(format!("--conf-file={}", conf.display()))
            .args(["--pid-file=", "--log-queries", "--user=root"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start dnsmasq (apt-get install dnsmasq-base)");
        self.dnsmasq = Some(child);
        let log = self.dir.join("dnsmasq.log");
        assert!(
            wait_for(10, || fs::read_to_string(&log)
                .unwrap_or_default()
                .contains("started")),
            "dnsmasq did not start"
        );
    }

    /// `script` as root in host `ns`'s network namespace, inside a sandbox's mount
    /// namespace, with the test's resolv.conf.
    fn wrap(&self, ns: &str, script: &str) -> String {
        let resolv = self.dir.join("resolv.conf");
        let quoted = script.replace('\'', r"'\''");
        format!(
            "mount --bind {} /etc/resolv.conf || exit 97; exec ip netns exec {ns} /bin/bash -c '{quoted}'",
            resolv.display()
        )
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        if let Some(mut c) = self.dnsmasq.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        // Anything still running in our namespaces was started by this test.
        for ns in &self.names {
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
        for ns in &self.names {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
        if std::env::var_os("QMAIL_E2E_KEEP").is_none() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// tcpserver on `addr`:`port` running `prog` as qmaild, in `ns`; `name` is the local
/// host name (tcpserver looks up none, nor the client's).
fn tcpserver(
    net: &Net,
    sb: &Sandbox,
    ns: &str,
    name: &str,
    addr: &str,
    port: u16,
    prog: &str,
) -> Daemon {
    let d = sb.start(&net.wrap(
        ns,
        &format!(
            "exec env - PATH=/var/qmail/bin:/usr/bin:/bin tcpserver -v -H -R -l {name} \
             -u {} -g {} {addr} {port} /var/qmail/bin/{prog}",
            uid_of("qmaild"),
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

/// qmail-start as the boot scripts run it, in `ns`.
fn start_send(net: &Net, sb: &Sandbox, ns: &str) -> Daemon {
    let d = sb.start(&net.wrap(
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

/// How often each Subject appears in a Maildir.
fn subjects(maildir: &Path) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for msg in maildir_messages(maildir) {
        let text = String::from_utf8_lossy(&msg).into_owned();
        if let Some(s) = text.lines().find_map(|l| l.strip_prefix("Subject: ")) {
            *m.entry(s.to_string()).or_default() += 1;
        }
    }
    m
}

#[test]
fn two_null_clients_through_a_qmqp_hub_to_two_mx_hosts_one_down() {
    let t0 = std::time::Instant::now();
    let hosts = [("c1", C1_IP), ("c2", C2_IP), ("hub", HUB_IP), ("mx", MX_IP)];
    let mut net = Net::new(&hosts);
    net.start_dns(&format!(
        "no-resolv\nno-hosts\nno-poll\nbind-interfaces\nlisten-address={DNS_IP}\nlocal=/test/\n\
         mx-host=x.test,down.x.test,10\nhost-record=down.x.test,{C1_IP}\n\
         mx-host=x.test,mx.x.test,20\nhost-record=mx.x.test,{MX_IP}\n"
    ));
    let (c1, c2, hub, mx) = (
        Sandbox::new(),
        Sandbox::new(),
        Sandbox::new(),
        Sandbox::new(),
    );

    // The null clients: no qmail-send, no local delivery; QMQP servers in order, the
    // first one down.
    for (sb, me) in [(&c1, "c1.test"), (&c2, "c2.test")] {
        sb.control("me", &[me]);
        sb.control("qmqpservers", &[MX_IP, HUB_IP]);
    }
    let r = c2.sh("cd /var/qmail/bin && ln -sf qmail-qmqpc qmail-queue");
    assert_eq!(r.code, Some(0), "{}", r.stderr_str());

    // The hub delivers hub.test itself and everything else by MX.
    hub.control("me", &["hub.test"]);
    hub.control("locals", &["hub.test"]);
    let hub_home = mailbox(&hub, "hu");
    let _qmqpd = tcpserver(
        &net,
        &hub,
        net.ns(2),
        "hub.test",
        HUB_IP,
        628,
        "qmail-qmqpd",
    );
    let send_hub = start_send(&net, &hub, net.ns(2));

    mx.control("me", &["mx.x.test"]);
    mx.control("locals", &["x.test"]);
    mx.control("rcpthosts", &["x.test"]);
    let mx_home = mailbox(&mx, "xu");
    let _smtpd = tcpserver(&net, &mx, net.ns(3), "mx.x.test", MX_IP, 25, "qmail-smtpd");
    let send_mx = start_send(&net, &mx, net.ns(3));

    println!("qmqp_netns: hosts up after {:?}", t0.elapsed());
    // Both clients at once, each message to one recipient at each destination.
    std::thread::scope(|s| {
        for (i, sb, how) in [
            (
                0,
                &c1,
                "QMAILQUEUE=/var/qmail/bin/qmail-qmqpc /var/qmail/bin/qmail-inject",
            ),
            (1, &c2, "/var/qmail/bin/sendmail -t"),
        ] {
            let net = &net;
            s.spawn(move || {
                let from = format!("sender@c{}.test", i + 1);
                let script = format!(
                    "for n in $(seq 1 {N}); do \
                       printf 'From: {from}\\nTo: hu@hub.test, xu@x.test\\nSubject: c{c}-%s\\n\\nbody\\n' $n \
                       | {how} || exit $?; \
                     done",
                    c = i + 1
                );
                let r = sb.sh(&net.wrap(net.ns(i), &script));
                assert_eq!(
                    r.code,
                    Some(0),
                    "client c{}: {}{}",
                    i + 1,
                    r.stdout_str(),
                    r.stderr_str()
                );
            });
        }
    });

    println!(
        "qmqp_netns: {} messages sent after {:?}",
        2 * N,
        t0.elapsed()
    );
    let want: BTreeMap<String, usize> = (1..=2)
        .flat_map(|c| (1..=N).map(move |n| (format!("c{c}-{n}"), 1)))
        .collect();
    for (home, send, what) in [
        (&hub_home, &send_hub, "hub (local)"),
        (&mx_home, &send_mx, "mx (second MX)"),
    ] {
        let md = home.join("Maildir");
        assert!(
            wait_for(90, || subjects(&md).values().sum::<usize>() >= 2 * N),
            "{what}: {:?}\nhub log:\n{}\nmx log:\n{}",
            subjects(&md),
            send_hub.log_text(),
            send.log_text()
        );
    }
    println!("qmqp_netns: all delivered after {:?}", t0.elapsed());
    assert!(hub.wait_queue_empty(30), "{}", send_hub.log_text());
    assert!(mx.wait_queue_empty(30), "{}", send_mx.log_text());
    // Nothing more arrives once the queues are empty: exactly once each.
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(subjects(&hub_home.join("Maildir")), want, "at the hub");
    assert_eq!(subjects(&mx_home.join("Maildir")), want, "at the up MX");
    // The down MX was tried first for the hub's remote deliveries; every one ended at the
    // second MX.
    let log = send_hub.log_text();
    assert_eq!(
        log.matches(&format!("success: {MX_IP}_accepted_message."))
            .count(),
        2 * N,
        "{log}"
    );
    assert!(!log.contains("deferral:"), "{log}");
    // The clients keep nothing: no queue on a null client.
    for sb in [&c1, &c2] {
        assert!(sb.mess_files().is_empty());
    }
}
