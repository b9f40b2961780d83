//! Mail from local clients, end to end: real mail programs (and qmail's own mailsubj,
//! datemail, qmail-inject) hand messages to the installed sendmail / qmail-inject, the
//! running qmail delivers them into a test user's Maildir, and every delivered message
//! parses with Python's `email` package without defects. Outside CI, clients that are not
//! installed (git send-email, s-nail, mutt) are left out; under CI=true they must be there.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use qmail_e2e::{test_user, Sandbox};

const CHECK: &str = r#"
import email, email.policy, os, sys
d = sys.argv[1]
for n in sorted(os.listdir(d)):
    with open(os.path.join(d, n), 'rb') as f:
        m = email.message_from_binary_file(f, policy=email.policy.default)
    defects = list(m.defects)
    for k, v in m.items():
        defects += list(getattr(v, 'defects', ()))
    print('%s | %s | %s | defects %d %r' % (m['Subject'], m['Delivered-To'], m['Return-Path'], len(defects), defects))
"#;

const PYMSG: &str = r#"
from email.message import EmailMessage
m = EmailMessage()
m['From'] = 'Py Sender <py@example.com>'
m['To'] = 'J\u00f6rg Tester <qmailtest@e2e.example>'
m['Bcc'] = 'qmailtest'
m['Subject'] = 'python h\u00e9llo'
m.set_content('line one\n.\nFrom the start of a line\n')
print(m.as_string(), end='')
"#;

#[test]
fn clients_deliver_into_a_maildir() {
    let sb = Sandbox::new();
    let user = test_user();
    let md = format!("Maildir.inject-e2e.{}", std::process::id());
    let scratch = sb.scratch();
    std::fs::write(scratch.join("check.py"), CHECK).unwrap();
    std::fs::write(scratch.join("pymsg.py"), PYMSG).unwrap();
    let script = format!(
        r#"
set -u
S={s}; U={user}; MD={md}
H=$(getent passwd $U | cut -d: -f6)
for c in me locals defaulthost defaultdomain plusdomain idhost; do echo e2e.example > $QMAIL/control/$c; done
rm -rf "$H/$MD"
setpriv --reuid $U --regid $(id -g $U) --init-groups $QMAIL/bin/maildirmake "$H/$MD" || exit 3
( cd / && exec env - PATH=$QMAIL/bin:/usr/bin:/bin $QMAIL/bin/qmail-start ./$MD/ ) > $S/send.log 2>&1 < /dev/null &
QS=$!
trap 'kill $QS 2>/dev/null; wait $QS 2>/dev/null; rm -rf "$H/$MD"' EXIT
export HOME=$S USER=root LOGNAME=root PATH=$QMAIL/bin:/usr/bin:/bin
n=0
python3 $S/pymsg.py | sendmail -t -i || exit 4; n=$((n+2))
printf 'body of mailsubj\n' | mailsubj 'mailsubj subject' $U@e2e.example || exit 5; n=$((n+1))
printf 'To: %s@e2e.example\nSubject: datemail subject\n\nbody\n' $U | datemail -t || exit 6; n=$((n+1))
printf 'To: "Q. User" <%s@e2e.example>, (comment) %s\nSubject: qmail-inject subject\n\nbody\n' $U $U | qmail-inject || exit 7; n=$((n+2))
# In CI every client must be there (.ci/run installs them): a missing one fails the test.
need() {{ if [ -n "${{CI:-}}" ]; then echo "$1 is not installed" >&2; exit 10; fi; }}
if [ -x /usr/lib/git-core/git-send-email ]; then
  # git send-email through /usr/sbin/sendmail, as mail clients find it: ours is bound over
  # whatever the machine has there, inside this namespace only.
  SM=$QMAIL/bin/sendmail
  if [ -e /usr/sbin/sendmail ] && mount --bind $QMAIL/bin/sendmail /usr/sbin/sendmail; then SM=/usr/sbin/sendmail; fi
  git init -q $S/repo && cd $S/repo && echo one > f && git add f &&
    git -c user.name=Git -c user.email=git@e2e.example commit -q -m 'git send-email subject' &&
    git format-patch -q -1 -o $S/patches &&
    git -c user.name=Git -c user.email=git@e2e.example send-email -q --confirm=never --suppress-cc=all \
      --to=$U@e2e.example --smtp-server=$SM $S/patches/*.patch >/dev/null || exit 11
  cd $S; n=$((n+1))
else need git-send-email; fi
if command -v s-nail >/dev/null; then
  printf 'body of s-nail\n' | s-nail -n -S mta=$QMAIL/bin/sendmail -S sendwait -s 's-nail subject' $U@e2e.example || exit 8; n=$((n+1))
else need s-nail; fi
if command -v mutt >/dev/null; then
  printf 'set sendmail="%s -oem -oi"\nset from="Mutt User <mutt@example.com>"\nset copy=no\nset use_envelope_from=yes\n' $QMAIL/bin/sendmail > $S/muttrc
  printf 'body of mutt\n' | mutt -n -F $S/muttrc -s 'mutt subject' $U@e2e.example || exit 9; n=$((n+1))
else need mutt; fi
t=0
while [ "$(ls "$H/$MD/new" | wc -l)" -lt $n ] && [ $t -lt 300 ]; do sleep 0.1; t=$((t+1)); done
echo "expected $n"
python3 $S/check.py "$H/$MD/new"
"#,
        s = scratch.display(),
    );
    let r = sb.sh(&script);
    let out = r.stdout_str();
    let log = std::fs::read_to_string(scratch.join("send.log")).unwrap_or_default();
    assert_eq!(
        r.code,
        Some(0),
        "{out}\n{}\nqmail-send log:\n{log}",
        r.stderr_str()
    );
    let mut lines = out.lines();
    let expected: usize = lines
        .next()
        .and_then(|l| l.strip_prefix("expected "))
        .and_then(|n| n.parse().ok())
        .expect("count line");
    let delivered: Vec<&str> = lines.collect();
    assert_eq!(delivered.len(), expected, "{out}\nqmail-send log:\n{log}");
    for l in &delivered {
        assert!(l.ends_with("| defects 0 []"), "{l}");
        assert!(l.contains(&format!("| {user}@e2e.example |")), "{l}");
    }
    for subject in [
        "python héllo",
        "mailsubj subject",
        "datemail subject",
        "qmail-inject subject",
    ] {
        assert!(
            delivered
                .iter()
                .any(|l| l.starts_with(&format!("{subject} |"))),
            "{subject} missing:\n{out}"
        );
    }
    if std::path::Path::new("/usr/lib/git-core/git-send-email").exists() {
        assert!(
            delivered
                .iter()
                .any(|l| l.starts_with("[PATCH] git send-email subject |")),
            "git send-email's patch missing:\n{out}"
        );
    }
    let _ = std::fs::remove_dir_all(&scratch);
}
