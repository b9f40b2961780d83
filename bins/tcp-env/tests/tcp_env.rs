//! Black-box: tcp-env with a real TCP connection on descriptor 0, running env(1).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::fd::OwnedFd;
use std::process::{Command, Output, Stdio};

/// Connect to ourselves; run tcp-env with the server side of the connection as fd 0.
fn run(args: &[&str], env: &[(&str, &str)]) -> (Output, TcpStream) {
    run_on("127.0.0.1:0", args, env)
}

fn run_on(listen: &str, args: &[&str], env: &[(&str, &str)]) -> (Output, TcpStream) {
    let l = TcpListener::bind(listen).unwrap();
    let client = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (server, _) = l.accept().unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_tcp-env"));
    c.args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("TCPREMOTEINFO", "stale")
        .stdin(Stdio::from(OwnedFd::from(server)));
    for (k, v) in env {
        c.env(k, v);
    }
    (c.output().unwrap(), client)
}

fn vars(out: &Output) -> HashMap<String, String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn sets_the_tcp_variables() {
    let (out, client) = run(&["-R", "env"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let v = vars(&out);
    let local = client.peer_addr().unwrap();
    let remote = client.local_addr().unwrap();
    assert_eq!(v["PROTO"], "TCP");
    assert_eq!(v["TCPLOCALIP"], "127.0.0.1");
    assert_eq!(v["TCPLOCALPORT"], local.port().to_string());
    assert_eq!(v["TCPREMOTEIP"], "127.0.0.1");
    assert_eq!(v["TCPREMOTEPORT"], remote.port().to_string());
    assert!(
        !v.contains_key("TCPREMOTEINFO"),
        "a stale TCPREMOTEINFO is removed"
    );
}

#[test]
fn proto_tcp_means_already_done() {
    for proto in ["TCP", "TCP6"] {
        let (out, _) = run(&["env"], &[("PROTO", proto)]);
        let v = vars(&out);
        assert_eq!(v["TCPREMOTEINFO"], "stale");
        assert!(!v.contains_key("TCPLOCALIP"));
    }
}

/// An IPv6 peer (inetd or a systemd socket on `[::1]`): the addresses in IPv6 form.
#[test]
fn ipv6_peer() {
    let (out, client) = run_on("[::1]:0", &["-R", "env"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let v = vars(&out);
    assert_eq!(v["PROTO"], "TCP");
    assert_eq!(v["TCPLOCALIP"], "::1");
    assert_eq!(v["TCPREMOTEIP"], "::1");
    assert_eq!(
        v["TCPREMOTEPORT"],
        client.local_addr().unwrap().port().to_string()
    );
}

/// An IPv4 client of an IPv6 socket (`::ffff:127.0.0.1`) is described in IPv4 form.
#[test]
fn ipv4_client_of_an_ipv6_socket() {
    let l = TcpListener::bind("[::]:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let _client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let (server, from) = l.accept().unwrap();
    assert!(from.is_ipv6(), "{from}");
    let out = Command::new(env!("CARGO_BIN_EXE_tcp-env"))
        .args(["-R", "env"])
        .env_clear()
        .stdin(Stdio::from(OwnedFd::from(server)))
        .output()
        .unwrap();
    let v = vars(&out);
    assert_eq!(v["TCPREMOTEIP"], "127.0.0.1");
    assert_eq!(v["TCPLOCALIP"], "127.0.0.1");
}

#[test]
fn ident_query() {
    // A one-shot identd on 127.0.0.1:113 (needs root).
    let identd = TcpListener::bind("127.0.0.1:113").expect("bind port 113 (run as root)");
    let server = std::thread::spawn(move || {
        let (s, _) = identd.accept().unwrap();
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut q = String::new();
        r.read_line(&mut q).unwrap();
        let mut s = s;
        let (a, b) = q.trim_end().split_once(" , ").unwrap();
        write!(s, "{a} , {b} : USERID : UNIX : ident user\r\n").unwrap();
        q
    });
    let (out, client) = run(&["-t", "5", "env"], &[]);
    let q = server.join().unwrap();
    let v = vars(&out);
    assert_eq!(v["TCPREMOTEINFO"], "identuser");
    let want = format!(
        "{} , {}\r\n",
        client.local_addr().unwrap().port(),
        client.peer_addr().unwrap().port()
    );
    assert_eq!(q, want);
}

#[test]
fn not_a_socket_is_111() {
    let out = Command::new(env!("CARGO_BIN_EXE_tcp-env"))
        .args(["-R", "env"])
        .env_remove("PROTO")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(111));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("tcp-env: fatal: unable to getsockname: ")
    );
}

#[test]
fn usage_is_100() {
    let out = Command::new(env!("CARGO_BIN_EXE_tcp-env"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(100));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "tcp-env: usage: tcp-env [ -rR ] [ -t timeout ] program [ arg ... ]\n"
    );
}

/// tcp-env in a private mount namespace whose /etc/resolv.conf is `resolv`.
fn run_with_resolver(resolv: &str) -> Output {
    let conf = std::env::temp_dir().join(format!(
        "tcp-env-resolv-{}-{}",
        std::process::id(),
        resolv.len()
    ));
    std::fs::write(&conf, resolv).unwrap();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let _client = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (server, _) = l.accept().unwrap();
    let script = format!(
        "mount --bind {} /etc/resolv.conf && exec {} -R env",
        conf.display(),
        env!("CARGO_BIN_EXE_tcp-env")
    );
    let out = Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .stdin(Stdio::from(OwnedFd::from(server)))
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&conf);
    out
}

/// A one-question DNS answer: `name` as the PTR of whatever was asked.
fn ptr_answer(query: &[u8], name: &str) -> Vec<u8> {
    let mut end = 12;
    while query[end] != 0 {
        end += 1 + query[end] as usize;
    }
    end += 5; // root label, type, class
    let mut a = query[..2].to_vec();
    a.extend_from_slice(&[0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
    a.extend_from_slice(&query[12..end]);
    let mut rdata = Vec::new();
    for label in name.split('.') {
        rdata.push(label.len() as u8);
        rdata.extend_from_slice(label.as_bytes());
    }
    rdata.push(0);
    a.extend_from_slice(&[0xc0, 12, 0, 12, 0, 1, 0, 0, 0, 60]);
    a.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    a.extend_from_slice(&rdata);
    a
}

#[test]
fn host_names_from_ptr_records() {
    let dns = UdpSocket::bind("127.0.0.77:53").expect("bind 127.0.0.77:53 (run as root)");
    dns.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let server = std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        for _ in 0..2 {
            let (n, from) = dns.recv_from(&mut buf).unwrap();
            dns.send_to(&ptr_answer(&buf[..n], "Client.EXAMPLE"), from)
                .unwrap();
        }
    });
    let out = run_with_resolver("nameserver 127.0.0.77\n");
    server.join().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = vars(&out);
    assert_eq!(v["TCPREMOTEHOST"], "client.example");
    assert_eq!(v["TCPLOCALHOST"], "client.example");
}

#[test]
fn dns_failure_is_softdnserror() {
    // Nothing listens on 127.0.0.78:53: every query is refused, a temporary failure.
    let out = run_with_resolver("nameserver 127.0.0.78\noptions timeout:1 attempts:1\n");
    let v = vars(&out);
    assert_eq!(v["TCPREMOTEHOST"], "softdnserror");
    assert_eq!(v["TCPLOCALHOST"], "softdnserror");
}
