//! SMTPUTF8 (RFC 6531) end to end: Python's smtplib sends a message whose sender and
//! recipient are UTF-8 through qmail-tlsd and qmail-smtpd; qmail-send delivers it to a
//! Maildir intact (addresses, 8-bit headers and body).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use qmail_e2e::mailbox;
use qmail_e2e::smtptls::{certificate, python, server, system, DOMAIN};

#[test]
fn smtplib_smtputf8_message_is_delivered_intact() {
    let (sb, _send) = system();
    let home = mailbox(&sb, "j\u{fc}rgen");
    certificate(&sb, false);
    let d = server(&sb, "", "");
    let out = python(&format!(
        r#"
import smtplib, ssl
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP("127.0.0.1", {p})
s.ehlo("py.example")
assert s.has_extn("smtputf8"), s.esmtp_features
# Without the parameter a UTF-8 address is refused (smtplib sends the bytes as asked).
s.command_encoding = "utf-8"
code, text = s.docmd("MAIL FROM:<\u00e9l\u00e8ve@py.example>")
assert code == 553 and b"(#5.6.7)" in text, (code, text)
# Bytes that are not UTF-8 are refused either way.
s.send(b"MAIL FROM:<j\xfcrgen@py.example> SMTPUTF8\r\n")
assert s.getreply()[0] == 555
s.rset()
s.starttls(context=ctx)
s.ehlo("py.example")
assert s.has_extn("smtputf8"), s.esmtp_features
msg = "From: \u00c9l\u00e8ve <\u00e9l\u00e8ve@py.example>\r\nSubject: Gr\u00fc\u00dfe \u263a\r\n\r\n8-bit body: \u00e9\u00e8 \u2603\r\n".encode()
r = s.sendmail("\u00e9l\u00e8ve@py.example", ["j\u00fcrgen@{DOMAIN}"], msg, mail_options=["SMTPUTF8"])
assert r == {{}}, r
s.quit()
print("ok")
"#,
        p = d.port
    ));
    assert!(out.contains("ok"), "{out}");
    let maildir = home.join("Maildir");
    qmail_e2e::wait_for(30, || !qmail_e2e::maildir_messages(&maildir).is_empty());
    let raw = qmail_e2e::maildir_messages(&maildir).remove(0);
    let m = String::from_utf8(raw).expect("delivered as UTF-8");
    // qmail-local quotes a local part with bytes beyond ASCII, as qmail's quote() does.
    assert!(
        m.starts_with("Return-Path: <\"\u{e9}l\u{e8}ve\"@py.example>\n"),
        "{m}"
    );
    assert!(
        m.contains(&format!("Delivered-To: j\u{fc}rgen@{DOMAIN}\n")),
        "{m}"
    );
    assert!(m.contains(" encrypted) UTF8SMTP; "), "{m}");
    assert!(
        m.ends_with(
            "From: \u{c9}l\u{e8}ve <\u{e9}l\u{e8}ve@py.example>\nSubject: Gr\u{fc}\u{df}e \u{263a}\n\n8-bit body: \u{e9}\u{e8} \u{2603}\n"
        ),
        "{m}"
    );
}
