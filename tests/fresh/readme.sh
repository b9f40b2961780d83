#!/bin/bash
# tests/fresh/readme.sh [--bounded]: the README's two commands on a fresh Debian 12, as a
# new user meets them. In a clean Debian 12 root (lib.sh) with a fresh clone of this
# repository, as root:
#   sudo make run   in the background; wait for port 25; `useradd -m newbie`; mail newbie
#                   with sendmail and through SMTP, root with sendmail and postmaster
#                   through SMTP; both newbie's ~/Maildir and ~alias/Maildir must get
#                   theirs; ^C stops it;
#   sudo make test  (skipped with --bounded: the suite itself runs in CI
#                   on the CI machine).
# Prints the time each step took. Needs root, mmdebstrap (installed when missing) and
# the Debian mirror.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bounded=0
[ "${1:-}" = --bounded ] && bounded=1
[ "$(id -u)" = 0 ] || { echo "readme.sh: must run as root" >&2; exit 100; }

W=${FRESH_DIR:-/var/tmp/qmail-fresh-readme.$$}
t=$(date +%s)
fresh_new "$W"
fresh_clone "$W"
echo "TIME fresh root and clone: $(( $(date +%s) - t ))s"

cat > "$W/root/first-hour.sh" <<'INNER'
set -u
cd /root/qmail-rs
fail() { echo "FAIL: $*"; exit 1; }
elapsed() { echo "TIME $1: $(( $(date +%s) - $2 ))s"; }
smtp() { # smtp FROM TO: one message through SMTP on 127.0.0.1:25, replies checked
  exec 3<>/dev/tcp/127.0.0.1/25 || return 1
  local line
  expect() { IFS= read -r -t 30 line <&3 || return 1; case $line in "$1"*) ;; *) echo "smtp: $line"; return 1;; esac; }
  expect 220 && printf 'HELO fresh\r\n' >&3 && expect 250 &&
  printf 'MAIL FROM:<%s>\r\n' "$1" >&3 && expect 250 &&
  printf 'RCPT TO:<%s>\r\n' "$2" >&3 && expect 250 &&
  printf 'DATA\r\n' >&3 && expect 354 &&
  printf 'Subject: through SMTP\r\n\r\nhello\r\n.\r\n' >&3 && expect 250 &&
  printf 'QUIT\r\n' >&3 && expect 221
  local rc=$?
  exec 3<&-
  return $rc
}
count() { ls "$1" 2>/dev/null | wc -l; }
wait_count() { # DIR N SECONDS
  local i=0
  while [ "$(count "$1")" -lt "$2" ]; do
    i=$((i + 1)); [ $i -gt $(( $3 * 2 )) ] && return 1; sleep 0.5
  done
}

t=$(date +%s)
# job control: make run gets its own process group, which ^C (SIGINT) reaches as it
# does at a terminal (without it a background job ignores SIGINT)
set -m
sudo make run > /root/make-run.log 2>&1 &
run=$!
set +m
until (exec 3<>/dev/tcp/127.0.0.1/25) 2>/dev/null; do
  kill -0 $run 2>/dev/null || { cat /root/make-run.log; fail "make run ended before port 25 answered"; }
  [ $(( $(date +%s) - t )) -gt 2400 ] && { tail -50 /root/make-run.log; fail "port 25 not up after 40 minutes"; }
  sleep 1
done
elapsed "sudo make run until port 25 answers (packages, release build, setup)" "$t"
grep '^run-foreground: ' /root/make-run.log
grep -E '^qmail-setup: (mail to|created)|no dot|localdomain are all local' /root/make-run.log

t=$(date +%s)
useradd -m -s /bin/bash newbie
[ -d /home/newbie/Maildir/new ] || fail "useradd -m made no ~/Maildir (no /etc/skel/Maildir)"
echo 'hello from sendmail' | sendmail newbie || fail "sendmail newbie"
echo 'hello root' | sendmail root || fail "sendmail root"
smtp someone@example.org "newbie@$(hostname)" || fail "SMTP to newbie"
smtp someone@example.org "postmaster@$(hostname)" || fail "SMTP to postmaster"
wait_count /home/newbie/Maildir/new 2 60 || { tail -30 /root/make-run.log; fail "newbie's mail did not arrive"; }
wait_count /var/qmail/alias/Maildir/new 2 60 || { tail -30 /root/make-run.log; fail "root/postmaster mail did not arrive"; }
elapsed "4 mails delivered (newbie: sendmail + SMTP, root + postmaster: ~alias/Maildir)" "$t"
ls -l /home/newbie/Maildir/new /var/qmail/alias/Maildir/new

t=$(date +%s)
kill -INT -- -$run
wait $run; echo "make run exit: $?"
i=0
until grep -q 'status: exiting' /root/make-run.log; do
  i=$((i + 1)); [ $i -gt 60 ] && fail "qmail-send did not exit on ^C"; sleep 0.5
done
elapsed "^C: qmail-send and qmail-smtpd stopped" "$t"

if [ "${BOUNDED:-0}" = 0 ]; then
  t=$(date +%s)
  sudo make test > /root/make-test.log 2>&1
  rc=$?
  grep -E '^test result|FAILED|panicked' /root/make-test.log | sort | uniq -c | sort -rn | head -20
  elapsed "sudo make test (exit $rc)" "$t"
  [ $rc = 0 ] || { tail -80 /root/make-test.log; fail "make test"; }
fi
echo "PASS"
INNER
sed -i "1i BOUNDED=$bounded" "$W/root/first-hour.sh"
rc=0
fresh_run "$W" /root/first-hour.sh || rc=$?
[ -n "${FRESH_KEEP:-}" ] || rm -rf "$W"
exit $rc
