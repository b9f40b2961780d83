use super::*;
use crate::commands::split;

fn mailbox() -> Mailbox {
    Mailbox::new(vec![
        Message::new(b"cur/100.a.host:2,S".to_vec(), 120),
        Message::new(b"new/200.b.host".to_vec(), 30),
        Message::new(b"cur/300.c.host:2,".to_vec(), 7),
    ])
}

fn reply(mb: &mut Mailbox, line: &str) -> String {
    match mb.on_command(split(line.as_bytes())) {
        Step::Reply(b) => String::from_utf8(b).unwrap(),
        other => format!("{other:?}"),
    }
}

#[test]
fn listings() {
    let mut mb = mailbox();
    assert_eq!(reply(&mut mb, "STAT"), "+OK 3 157\r\n");
    assert_eq!(
        reply(&mut mb, "list"),
        "+OK \r\n1 120\r\n2 30\r\n3 7\r\n.\r\n"
    );
    assert_eq!(
        reply(&mut mb, "UIDL"),
        "+OK \r\n1 100.a.host\r\n2 200.b.host\r\n3 300.c.host\r\n.\r\n"
    );
    assert_eq!(reply(&mut mb, "LIST 2"), "+OK 2 30\r\n");
    assert_eq!(reply(&mut mb, "uidl 3x"), "+OK 3 300.c.host\r\n");
}

#[test]
fn deletions_are_marks() {
    let mut mb = mailbox();
    assert_eq!(reply(&mut mb, "DELE 2"), "+OK \r\n");
    assert_eq!(reply(&mut mb, "DELE 2"), "-ERR already deleted\r\n");
    assert_eq!(reply(&mut mb, "LIST 2"), "-ERR already deleted\r\n");
    assert_eq!(reply(&mut mb, "RETR 2"), "-ERR already deleted\r\n");
    assert_eq!(reply(&mut mb, "LAST"), "+OK 2\r\n");
    // STAT keeps counting the deleted message but not its size.
    assert_eq!(reply(&mut mb, "STAT"), "+OK 3 127\r\n");
    assert_eq!(reply(&mut mb, "LIST"), "+OK \r\n1 120\r\n3 7\r\n.\r\n");
    assert_eq!(reply(&mut mb, "DELE 1"), "+OK \r\n");
    assert_eq!(reply(&mut mb, "LAST"), "+OK 2\r\n");
    assert_eq!(reply(&mut mb, "RSET"), "+OK \r\n");
    assert_eq!(reply(&mut mb, "LAST"), "+OK 0\r\n");
    assert_eq!(
        reply(&mut mb, "LIST"),
        "+OK \r\n1 120\r\n2 30\r\n3 7\r\n.\r\n"
    );
    assert!(mb.messages().iter().all(|m| !m.deleted));
}

#[test]
fn message_numbers() {
    let mut mb = mailbox();
    assert_eq!(reply(&mut mb, "DELE"), "-ERR syntax error\r\n");
    assert_eq!(reply(&mut mb, "DELE x"), "-ERR syntax error\r\n");
    assert_eq!(reply(&mut mb, "DELE -1"), "-ERR syntax error\r\n");
    assert_eq!(
        reply(&mut mb, "DELE 0"),
        "-ERR messages are counted from 1\r\n"
    );
    assert_eq!(reply(&mut mb, "DELE 4"), "-ERR not that many messages\r\n");
    assert_eq!(
        reply(&mut mb, "DELE 99999999999999999999999999"),
        "-ERR not that many messages\r\n"
    );
    // 2^64 + 1 must not wrap around to message 1.
    assert_eq!(
        reply(&mut mb, "DELE 18446744073709551617"),
        "-ERR not that many messages\r\n"
    );
    assert_eq!(
        reply(&mut mb, "LIST 0"),
        "-ERR messages are counted from 1\r\n"
    );
    assert!(mb.messages().iter().all(|m| !m.deleted));
}

#[test]
fn retr_and_top_limits() {
    let mut mb = mailbox();
    assert_eq!(
        mb.on_command(split(b"RETR 1")),
        Step::Send { index: 0, limit: 0 }
    );
    assert_eq!(
        mb.on_command(split(b"TOP 3 0")),
        Step::Send { index: 2, limit: 1 }
    );
    assert_eq!(
        mb.on_command(split(b"top 2   5")),
        Step::Send { index: 1, limit: 6 }
    );
    // TOP without a line count sends everything, like RETR; RETR with one is a TOP.
    assert_eq!(
        mb.on_command(split(b"TOP 2")),
        Step::Send { index: 1, limit: 0 }
    );
    assert_eq!(
        mb.on_command(split(b"RETR 2 1")),
        Step::Send { index: 1, limit: 2 }
    );
    assert_eq!(
        mb.on_command(split(b"TOP 2 x")),
        Step::Send { index: 1, limit: 0 }
    );
    assert_eq!(
        mb.on_command(split(b"TOP 1 99999999999999999999999")),
        Step::Send {
            index: 0,
            limit: u64::MAX
        }
    );
}

#[test]
fn other_commands() {
    let mut mb = mailbox();
    assert_eq!(reply(&mut mb, "NOOP"), "+OK \r\n");
    assert_eq!(reply(&mut mb, "USER x"), "-ERR unimplemented\r\n");
    assert_eq!(reply(&mut mb, "APOP x y"), "-ERR unimplemented\r\n");
    assert_eq!(reply(&mut mb, ""), "-ERR unimplemented\r\n");
    assert_eq!(reply(&mut mb, "STATS"), "-ERR unimplemented\r\n");
    assert_eq!(mb.on_command(split(b"quit")), Step::Quit);
}

#[test]
fn uids() {
    assert_eq!(Message::new(b"new/x".to_vec(), 0).uid(), b"x");
    assert_eq!(Message::new(b"cur/x:2,RS".to_vec(), 0).uid(), b"x");
    assert_eq!(Message::new(b"cur/:2,".to_vec(), 0).uid(), b"");
    assert_eq!(Message::new(b"cu".to_vec(), 0).uid(), b"");
}
