//! `make run`'s foreground system (boot/run-foreground) in its own network namespace:
//! qmail-smtpd listens on port 25, it prints once how to send a first test mail and
//! where it lands (and doing what it says delivers there), it names the login users
//! without a ~/Maildir, and mail through sendmail and through SMTP to root and postmaster
//! lands in ~alias/Maildir/.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use qmail_e2e::{src_dir, Sandbox};

#[test]
fn run_foreground_first_mail() {
    let sb = Sandbox::new();
    let s = sb.scratch();
    let script = format!(
        r#"
set -u
S={s}
# Three accounts of our own, seen only in this mount namespace.
cp /etc/passwd $S/passwd
mkdir -p $S/newbie $S/hasmd/Maildir/new $S/hasmd/Maildir/cur $S/hasmd/Maildir/tmp $S/svc
printf 'newbie:x:59001:59001::%s/newbie:/bin/bash\nhasmd:x:59002:59002::%s/hasmd:/bin/sh\nsvc:x:59003:59003::%s/svc:/usr/sbin/nologin\n' $S $S $S >> $S/passwd
mount --bind $S/passwd /etc/passwd || exit 90
exec unshare -n /bin/bash -c '
  S={s}
  ip link set lo up || exit 91
  env -u SUDO_USER sh {src}/boot/run-foreground /var/qmail > $S/run.log 2>&1 &
  pid=$!
  for i in $(seq 200); do grep -q "listening on port" $S/run.log && break; sleep 0.05; done
  grep -q "qmail-smtpd listening on port 25$" $S/run.log || {{ cat $S/run.log; exit 92; }}
  # what the hint says, done
  cmd=$(sed -n "s/^run-foreground: try it: \(.*\)   (lands in \(.*\))$/\1/p" $S/run.log)
  dir=$(sed -n "s/^run-foreground: try it: \(.*\)   (lands in \(.*\))$/\2/p" $S/run.log)
  [ -n "$cmd" ] || {{ cat $S/run.log; exit 93; }}
  eval "$cmd" || exit 94
  # and one through SMTP to postmaster
  timeout 20 python3 -c "
import smtplib
s = smtplib.SMTP(\"127.0.0.1\", 25, timeout=10)
s.sendmail(\"someone@example.org\", [\"postmaster@$(head -n 1 /var/qmail/control/me)\"], \"Subject: by smtp\r\n\r\nhello\r\n\")
s.quit()
" || exit 95
  for i in $(seq 600); do [ "$(ls $dir | wc -l)" -ge 2 ] && break; sleep 0.05; done
  echo "dir=$dir count=$(ls $dir | wc -l)"
  kill -TERM $pid; wait $pid
  echo "status=$?"
  cat $S/run.log
'
"#,
        s = s.display(),
        src = src_dir().display()
    );
    let r = sb.sh(&script);
    let out = r.stdout_str();
    assert_eq!(r.code, Some(0), "{out}{}", r.stderr_str());
    assert!(
        out.contains("dir=/var/qmail/alias/Maildir/new/ count=2\n"),
        "{out}"
    );
    assert!(out.contains("status=0\n"), "{out}");
    let hints: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("run-foreground: try it: "))
        .collect();
    assert_eq!(
        hints,
        ["run-foreground: try it: echo hello | /var/qmail/bin/sendmail root   (lands in /var/qmail/alias/Maildir/new/)"],
        "{out}"
    );
    // (this machine's own login users may be named too)
    let users: Vec<&str> = out
        .lines()
        .find_map(|l| {
            l.strip_prefix(
                "run-foreground: mail to these login users waits in the queue until they have a ~/Maildir: ",
            )
        })
        .unwrap_or_else(|| panic!("{out}"))
        .split(' ')
        .collect();
    assert!(users.contains(&"newbie"), "{out}");
    assert!(
        !users.contains(&"hasmd") && !users.contains(&"svc"),
        "{out}"
    );
    let first = users[0];
    assert!(
        out.contains(&format!(
            "run-foreground: make one with: sudo -u {first} /var/qmail/bin/maildirmake ~{first}/Maildir (new accounts get one from /etc/skel)\n"
        )),
        "{out}"
    );
    assert_eq!(sb.ls("alias/Maildir/new").len(), 2);
}
