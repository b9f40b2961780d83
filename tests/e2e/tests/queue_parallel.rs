//! 1,000 messages from 8 parallel qmail-queue processes give 1,000 complete queue entries.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::MetadataExt;

use qmail_e2e::Sandbox;

#[test]
fn thousand_messages_from_eight_injectors() {
    let sb = Sandbox::new();
    let dir = sb.scratch();
    // Each message names itself so every queue entry can be matched to its injection.
    let script = format!(
        r#"
        fail=0
        for p in 1 2 3 4 5 6 7 8; do
          (
            for i in $(seq 1 125); do
              printf 'Subject: msg %s.%s\n\n%0900d\n' $p $i 0 > {d}/m.$p
              printf 'Fsender%s@example.com\0Trcpt%s.%s@example.org\0\0' $p $p $i > {d}/e.$p
              /var/qmail/bin/qmail-queue < {d}/m.$p 1< {d}/e.$p || echo "exit $?" >> {d}/failures
            done
          ) &
        done
        wait
        "#,
        d = dir.display()
    );
    let r = sb.sh(&script);
    assert_eq!(r.code, Some(0), "{}", r.stderr_str());
    assert!(
        !dir.join("failures").exists(),
        "{:?}",
        fs::read_to_string(dir.join("failures"))
    );

    let todo = sb.ls("queue/todo");
    assert_eq!(todo.len(), 1000);
    assert_eq!(sb.ls("queue/intd"), todo);
    assert_eq!(sb.mess_files().len(), 1000);
    assert!(sb.ls("queue/pid").is_empty());
    let mut subjects = BTreeSet::new();
    for id in &todo {
        let n: u64 = id.parse().unwrap();
        let mess = sb.path(format!("queue/mess/{}/{id}", n % 23));
        assert_eq!(fs::metadata(&mess).unwrap().ino(), n);
        let body = fs::read_to_string(&mess).unwrap();
        let mut lines = body.lines();
        assert!(lines.next().unwrap().starts_with("Received: (qmail "));
        let subject = lines.next().unwrap().to_string();
        let env = fs::read(sb.path(format!("queue/todo/{id}"))).unwrap();
        let tag = subject.trim_start_matches("Subject: msg ");
        let want = format!("Trcpt{tag}@example.org\0");
        assert!(
            env.ends_with(want.as_bytes()),
            "envelope of {id} does not match {subject}"
        );
        assert!(body.ends_with(&format!("{:0900}\n", 0)));
        subjects.insert(subject);
    }
    assert_eq!(subjects.len(), 1000, "every message exactly once");
    let _ = fs::remove_dir_all(dir);
}
