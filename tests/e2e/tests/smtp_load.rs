//! SMTP under load: 1,000 connections open at the same time against tcpserver -c 1000 +
//! qmail-smtpd (as qmaild/nofiles), each sending one tagged message; every message must
//! reach the Maildir exactly once and the queue must end empty.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use qmail_e2e::{mailbox, maildir_messages, wait_for, Daemon, Sandbox};

const DOMAIN: &str = "load.example";
const CONNECTIONS: usize = 1000;

fn group_id(name: &str) -> String {
    let out = Command::new("getent")
        .args(["group", name])
        .output()
        .unwrap();
    let line = String::from_utf8(out.stdout).unwrap();
    line.split(':').nth(2).expect("group").to_string()
}

/// tcpserver allowing CONNECTIONS children and a SYN backlog as large, on a free port.
fn smtpd(sb: &Sandbox) -> (u16, Daemon) {
    let uid = qmail_e2e::uid_of("qmaild");
    let gid = group_id("nofiles");
    for _ in 0..10 {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let d = sb.start(&format!(
            "exec env - PATH=/var/qmail/bin:/usr/bin:/bin \
             tcpserver -R -H -l {DOMAIN} -c {CONNECTIONS} -b {CONNECTIONS} -u {uid} -g {gid} \
             127.0.0.1 {port} /var/qmail/bin/qmail-smtpd"
        ));
        // Without -v tcpserver is silent; it is up when the port answers.
        let up = wait_for(10, || {
            d.log_text().contains("unable to bind")
                || TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        if up && !d.log_text().contains("unable to bind") {
            return (port, d);
        }
    }
    panic!("tcpserver did not start");
}

/// One client: connect, read the greeting, wait until every client has one, then send a
/// whole transaction in one write and read the replies to the end.
fn client(port: u16, n: usize, all_connected: &Barrier) -> Result<String, String> {
    let conn = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"));
    let mut greeting = [0u8; 256];
    let greeted = conn.and_then(|mut s| {
        s.set_read_timeout(Some(Duration::from_secs(90)))
            .map_err(|e| e.to_string())?;
        let k = s
            .read(&mut greeting)
            .map_err(|e| format!("greeting: {e}"))?;
        Ok((s, k))
    });
    // Every thread reaches the barrier, even after a failure, or the others would hang.
    all_connected.wait();
    let (mut s, k) = greeted?;
    let msg = format!(
        "HELO load{n}.example\r\nMAIL FROM:<sender{n}@client.example>\r\nRCPT TO:<load@{DOMAIN}>\r\n\
         DATA\r\nSubject: load {n}\r\nX-Load-Tag: {n}\r\n\r\nmessage number {n}\r\n.\r\nQUIT\r\n"
    );
    s.write_all(msg.as_bytes())
        .map_err(|e| format!("write: {e}"))?;
    let mut out = greeting[..k].to_vec();
    s.read_to_end(&mut out).map_err(|e| format!("read: {e}"))?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[test]
fn thousand_concurrent_connections_lose_nothing() {
    let sb = Sandbox::new();
    sb.control("me", &[DOMAIN]);
    sb.control("locals", &[DOMAIN]);
    sb.control("rcpthosts", &[DOMAIN]);
    let home = mailbox(&sb, "load");
    let send = sb.start_send("./Maildir/");
    let (port, _tcpserver) = smtpd(&sb);

    let start = Instant::now();
    let barrier = Arc::new(Barrier::new(CONNECTIONS));
    let threads: Vec<_> = (0..CONNECTIONS)
        .map(|n| {
            let b = Arc::clone(&barrier);
            std::thread::Builder::new()
                .stack_size(128 * 1024)
                .spawn(move || client(port, n, &b))
                .unwrap()
        })
        .collect();
    let results: Vec<Result<String, String>> =
        threads.into_iter().map(|t| t.join().unwrap()).collect();
    let accepted_in = start.elapsed();

    let mut failures = Vec::new();
    for (n, r) in results.iter().enumerate() {
        let ok = r.as_ref().is_ok_and(|t| {
            let lines: Vec<&str> = t.split_terminator("\r\n").collect();
            lines.len() == 7
                && lines[0] == format!("220 {DOMAIN} ESMTP")
                && lines[1..5]
                    == [
                        format!("250 {DOMAIN}").as_str(),
                        "250 ok",
                        "250 ok",
                        "354 go ahead",
                    ]
                && lines[5].starts_with("250 ok ")
                && lines[5].contains(" qp ")
                && lines[6] == format!("221 {DOMAIN}")
        });
        if !ok {
            failures.push((n, r.clone()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} sessions failed, e.g. {:?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );

    let maildir = home.join("Maildir");
    let delivered = wait_for(100, || {
        std::fs::read_dir(maildir.join("new")).map_or(0, |d| d.count()) >= CONNECTIONS
    });
    let delivered_in = start.elapsed();
    assert!(
        delivered,
        "only {} delivered",
        maildir_messages(&maildir).len()
    );
    let msgs = maildir_messages(&maildir);
    assert_eq!(msgs.len(), CONNECTIONS);
    let mut seen = vec![0u32; CONNECTIONS];
    for m in &msgs {
        let text = String::from_utf8_lossy(m);
        let tag: usize = text
            .lines()
            .find_map(|l| l.strip_prefix("X-Load-Tag: "))
            .expect("tag")
            .parse()
            .unwrap();
        assert!(
            text.ends_with(&format!("\n\nmessage number {tag}\n")),
            "{text}"
        );
        assert!(
            text.contains(&format!("(HELO load{tag}.example) (127.0.0.1)")),
            "{text}"
        );
        seen[tag] += 1;
    }
    assert!(seen.iter().all(|&c| c == 1), "every tag exactly once");
    assert!(sb.wait_queue_empty(30), "{:?}", sb.mess_files());
    assert_eq!(send.log_text().matches("new msg").count(), CONNECTIONS);
    let _ = writeln!(
        std::io::stderr(),
        "{CONNECTIONS} concurrent sessions accepted in {:.1} s, all delivered after {:.1} s",
        accepted_in.as_secs_f64(),
        delivered_in.as_secs_f64()
    );
}
