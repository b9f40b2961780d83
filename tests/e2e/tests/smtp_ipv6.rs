//! IPv6 peers end to end: qmail-smtpd behind a systemd socket on `[::1]`
//! (systemd-socket-activate in inetd mode, one process per connection) and tcp-env, as
//! qmaild; the message is delivered to a Maildir, `[IPv6:::1]` naming this host.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use qmail_e2e::smtptls::{system, wait_messages, DOMAIN};
use qmail_e2e::{mailbox, wait_for};

#[test]
fn systemd_socket_on_ipv6_loopback_with_tcp_env() {
    let (sb, _send) = system();
    let home = mailbox(&sb, "six");
    let port = TcpListener::bind("[::1]:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let d = sb.start(&format!(
        "exec env - PATH=/var/qmail/bin:/usr/bin:/bin \
         systemd-socket-activate --inetd -a -l '[::1]:{port}' \
         setpriv --reuid qmaild --regid nofiles --clear-groups \
         /var/qmail/bin/tcp-env -R /var/qmail/bin/qmail-smtpd"
    ));
    assert!(
        wait_for(10, || d.log_text().contains("Listening on")),
        "{}",
        d.log_text()
    );
    let mut s = TcpStream::connect(("::1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(
        b"EHLO [IPv6:::1]\r\nMAIL FROM:<me@[IPv6:::1]>\r\n\
          RCPT TO:<six@[IPv6:::1]>\r\nRCPT TO:<six@[IPv6:2001:db8::1]>\r\n\
          DATA\r\nSubject: over IPv6\r\n\r\nsix\r\n.\r\nQUIT\r\n",
    )
    .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let t = String::from_utf8_lossy(&out);
    assert!(
        t.contains(
            "250 ok\r\n250 ok\r\n553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)\r\n354 go ahead\r\n250 ok "
        ),
        "{t}"
    );
    let m = wait_messages(&home.join("Maildir"), 1);
    assert!(
        m[0].contains(&format!("Delivered-To: six@{DOMAIN}\n")),
        "{}",
        m[0]
    );
    // tcp-env gave qmail-smtpd the peer in IPv6 form.
    assert!(m[0].contains(" (HELO [IPv6:::1]) (::1)\n  by "), "{}", m[0]);
    assert!(m[0].ends_with("Subject: over IPv6\n\nsix\n"), "{}", m[0]);
}
