//! POP3 end to end: messages delivered by the running system into a test user's Maildir
//! are read with Python's poplib through tcpserver (ucspi-tcp) → qmail-popup → a
//! checkpassword program → qmail-pop3d, all inside the sandbox. The checkpassword is the
//! project's test program (bins/qmail-pop3d/tests/checkpassword.py: Debian has no
//! checkpassword package here); it becomes the test user before running qmail-pop3d.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::fs;
use std::net::TcpListener;

use qmail_e2e::{mailbox, src_dir, test_user, uid_of, wait_for, Sandbox};

const CLIENT: &str = r#"
import os, poplib, sys
port, md = int(sys.argv[1]), sys.argv[2]
def files():
    out = {}
    for sub in ('new', 'cur'):
        for n in os.listdir(os.path.join(md, sub)):
            out[n.split(':')[0]] = (sub, n, open(os.path.join(md, sub, n), 'rb').read())
    return out

# a wrong password: refused, nothing changes
p = poplib.POP3('127.0.0.1', port, timeout=20)
print('greeting-apop', p.getwelcome().startswith(b'+OK <') and b'@e2e.example>' in p.getwelcome())
p.user('popuser')
try:
    p.pass_('wrong')
    print('bad-pass accepted')
except poplib.error_proto as e:
    print('bad-pass', e.args[0].decode())

# a session that looks at everything and deletes message 1, then changes its mind (RSET)
p = poplib.POP3('127.0.0.1', port, timeout=20)
p.user('popuser')
print('pass', p.pass_('sesame').decode())
n, size = p.stat()
disk = files()
print('stat', n, size == sum(len(v[2]) for v in disk.values()))
sizes = [l.split() for l in p.list()[1]]
print('list', [int(a) for a, b in sizes], all(int(b) == len(disk[u.split()[1].decode()][2]) for (a, b), u in zip(sizes, p.uidl()[1])))
uids = [u.split()[1].decode() for u in p.uidl()[1]]
print('uidl-known', sorted(uids) == sorted(disk))
print('uidl-1', p.uidl(1).split()[2].decode() == uids[0])
for i, u in enumerate(uids, 1):
    lines = p.retr(i)[1]
    # the file's lines (poplib removes the stuffed dots), plus the blank line qmail-pop3d
    # always adds before the final dot
    want = disk[u][2].split(b'\n')
    print('retr', i, lines == want, b'.dot line %d' % (i - 1) in lines)
    if lines != want:
        print(repr(lines), repr(want))
# TOP n 0: the header, the blank line after it, and the added blank line
head = disk[uids[1]][2].split(b'\n\n')[0].split(b'\n')
top = p.top(2, 0)[1]
print('top-0', top == head + [b'', b''])
if top != head + [b'', b'']:
    print(repr(top), repr(head))
top1 = p.top(2, 1)[1]
print('top-1', top1 == head + [b'', b'.dot line 1', b''])
print('dele', p.dele(1).decode())
try:
    p.retr(1)
except poplib.error_proto as e:
    print('retr-deleted', e.args[0].decode())
st = p.stat()
# as qmail-pop3d does: the count still includes the deleted message, the size does not
print('stat-after-dele', st[0], st[1] == size - len(disk[uids[0]][2]))
print('rset', p.rset().decode())
print('stat-after-rset', p.stat()[0])
print('dele', p.dele(1).decode())
print('quit', p.quit().decode())
after = files()
print('gone', uids[0] not in after, 'left', len(after))
print('moved-to-cur', all(v[0] == 'cur' and v[1].endswith(':2,') for v in after.values()))

# a new session sees what is left, numbered from 1 again
p = poplib.POP3('127.0.0.1', port, timeout=20)
p.user('popuser')
p.pass_('sesame')
print('stat-2', p.stat()[0], [u.split()[1].decode() for u in p.uidl()[1]] == uids[1:])
try:
    p.retr(len(uids))
except poplib.error_proto as e:
    print('too-far', e.args[0].decode())
print('quit', p.quit().decode())
"#;

#[test]
fn poplib_over_tcpserver_on_delivered_mail() {
    let sb = Sandbox::new();
    sb.control("me", &["e2e.example"]);
    sb.control("locals", &["e2e.example"]);
    let home = mailbox(&sb, "popuser");
    let md = home.join("Maildir");
    let send = sb.start_send("./Maildir/");
    for (i, subj) in ["first", "second", "third"].iter().enumerate() {
        // a line starting with a dot, to be stuffed on the wire
        let r = sb.sh(&format!(
            "printf 'Subject: {subj}\\n\\n.dot line {i}\\nbody {i}\\n' | /var/qmail/bin/qmail-inject -f snd@e2e.example popuser@e2e.example"
        ));
        assert_eq!(r.code, Some(0), "{}", r.stderr_str());
        // distinct mtimes, so the order is the delivery order
        assert!(send.wait_log("end msg", i + 1, 30), "{}", send.log_text());
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    assert!(wait_for(10, || fs::read_dir(md.join("new"))
        .unwrap()
        .count()
        == 3));

    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cp = src_dir().join("bins/qmail-pop3d/tests/checkpassword.py");
    let scratch = sb.scratch();
    let log = scratch.join("cp.log");
    let uid = uid_of(test_user());
    let server = sb.start(&format!(
        "export CP_USER=popuser CP_PASS=sesame CP_LOG={log} CP_UID={uid} CP_HOME={home}
         exec tcpserver -v -R -H -l e2e.example 127.0.0.1 {port} \
           /var/qmail/bin/qmail-popup e2e.example /usr/bin/python3 {cp} /var/qmail/bin/qmail-pop3d Maildir",
        log = log.display(),
        home = home.display(),
        cp = cp.display(),
    ));
    assert!(
        server.wait_log("status: 0/", 1, 20),
        "{}",
        server.log_text()
    );
    fs::write(scratch.join("client.py"), CLIENT).unwrap();
    let out = std::process::Command::new("python3")
        .arg(scratch.join("client.py"))
        .arg(port.to_string())
        .arg(&md)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.log_text()
    );
    let want = "greeting-apop True
bad-pass -ERR authorization failed
pass +OK 
stat 3 True
list [1, 2, 3] True
uidl-known True
uidl-1 True
retr 1 True True
retr 2 True True
retr 3 True True
top-0 True
top-1 True
dele +OK 
retr-deleted -ERR already deleted
stat-after-dele 3 True
rset +OK 
stat-after-rset 3
dele +OK 
quit +OK 
gone True left 2
moved-to-cur True
stat-2 2 True
too-far -ERR not that many messages
quit +OK 
";
    assert_eq!(text, want, "{}", server.log_text());
    // checkpassword saw the login exactly as qmail-popup hands it over
    let cplog = fs::read_to_string(&log).unwrap();
    assert_eq!(cplog.lines().count(), 3, "{cplog}");
    assert!(
        cplog
            .lines()
            .all(|l| l.starts_with("fields=4 user=popuser stamp=<")),
        "{cplog}"
    );
    // the deleted message is gone from disk, the others were renamed into cur/
    assert_eq!(fs::read_dir(md.join("new")).unwrap().count(), 0);
    assert_eq!(fs::read_dir(md.join("cur")).unwrap().count(), 2);
    for e in fs::read_dir(md.join("cur")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(name.ends_with(":2,"), "{name}");
        let body = fs::read_to_string(md.join("cur").join(&name)).unwrap();
        assert!(!body.contains("Subject: first"), "message 1 was deleted");
    }
}
