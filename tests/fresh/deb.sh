#!/bin/bash
# tests/fresh/deb.sh DEB: the package's life on a fresh Debian 12 root (lib.sh), where
# systemd does not run: `apt install ./DEB` (users, configuration from the host name,
# postmaster aliases, how to start), start it as postinst says, send a mail and read it
# from the Maildir, install the same package again (upgrade), remove (queue and control
# kept), purge with a message in the queue (configuration gone, queue kept, and said),
# then install and purge with an empty queue (all gone but the postmaster's mail).
# lintian must pass first. Prints the time of each step.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
deb=$(readlink -f "$1")
[ "$(id -u)" = 0 ] || { echo "deb.sh: must run as root" >&2; exit 100; }

# lintian on the build machine (installed when missing): no error and no warning that
# boot/debian/lintian-overrides does not justify
command -v lintian >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends lintian >/dev/null
t=$(date +%s)
lintian --fail-on error,warning "$deb" || { echo "FAIL: lintian"; exit 1; }
echo "TIME lintian (no errors, no warnings): $(( $(date +%s) - t ))s"

W=${FRESH_DIR:-/var/tmp/qmail-fresh-deb.$$}
fresh_new "$W"
cp "$deb" "$W/root/"

cat > "$W/root/lifecycle.sh" <<'INNER'
set -u
cd /root
fail() { echo "FAIL: $*"; exit 1; }
step() { echo "== $1"; T=$(date +%s); }
took() { echo "TIME $1: $(( $(date +%s) - T ))s"; }
count() { find "$1" -type f 2>/dev/null | wc -l; }
wait_count() { local i=0; while [ "$(count "$1")" -lt "$2" ]; do i=$((i+1)); [ $i -gt 120 ] && return 1; sleep 0.5; done; }
start_send() {
  # what postinst printed, in its own session so that it can be stopped
  setsid sh -c "$(tr -d '\r' < /root/install.log | sed -n 's/^  \(env - PATH=.*qmail-start .*\) &$/\1/p')" > /root/send.log 2>&1 &
  SEND=$!
  sleep 1
  kill -0 $SEND || { cat /root/send.log; fail "qmail-send did not start"; }
}
stop_send() { kill -TERM -- -$SEND; wait $SEND 2>/dev/null || true; }
deb=$(ls /root/qmail-rs_*.deb)

step "apt install ./$(basename $deb)"
apt-get update -qq || fail "apt-get update"
apt install -y "./$(basename $deb)" > /root/install.log 2>&1 || { cat /root/install.log; fail "apt install"; }
took "apt install (with ucspi-tcp from the mirror)"
grep '^qmail-rs:\|^Your\|^qmail-setup: mail to' /root/install.log
grep -q 'systemd is not running here' /root/install.log || fail "no word on how to start"
[ "$(cat /var/qmail/control/me)" = vm ] || fail "control/me is not vm"
grep -qx localhost /var/qmail/control/locals || fail "localhost not in locals"
getent passwd qmaild qmailq qmails qmailr alias >/dev/null || fail "users missing"
[ "$(stat -c %U:%a /var/qmail/bin/qmail-queue)" = qmailq:4711 ] || fail "qmail-queue: $(stat -c %U:%a /var/qmail/bin/qmail-queue)"
[ "$(readlink /usr/sbin/sendmail)" = /var/qmail/bin/sendmail ] || fail "/usr/sbin/sendmail"
[ "$(readlink /usr/lib/sendmail)" = /var/qmail/bin/sendmail ] || fail "/usr/lib/sendmail"
[ "$(readlink /usr/bin/mailq)" = /var/qmail/bin/sendmail ] || fail "mailq"
/var/qmail/bin/instcheck || fail "instcheck"

step "send and read"
start_send
echo 'hello from the package' | sendmail root || fail "sendmail root"
wait_count /var/qmail/alias/Maildir/new 1 || { cat /root/send.log; fail "mail to root did not arrive"; }
grep -q 'hello from the package' /var/qmail/alias/Maildir/new/* || fail "wrong mail"
stop_send
took "send a mail to root and read it from /var/qmail/alias/Maildir/new"

step "install again (upgrade)"
me_before=$(cat /var/qmail/control/me)
echo 'site alias' > /var/qmail/alias/.qmail-root
apt install -y --reinstall "./$(basename $deb)" > /root/reinstall.log 2>&1 || { cat /root/reinstall.log; fail "reinstall"; }
[ "$(cat /var/qmail/control/me)" = "$me_before" ] || fail "control/me changed"
[ "$(cat /var/qmail/alias/.qmail-root)" = 'site alias' ] || fail "site's .qmail-root overwritten"
[ "$(count /var/qmail/alias/Maildir/new)" = 1 ] || fail "mail lost on upgrade"
[ "$(stat -c %U:%a /var/qmail/bin/qmail-queue)" = qmailq:4711 ] || fail "qmail-queue after upgrade"
/var/qmail/bin/instcheck || fail "instcheck after upgrade"
echo './Maildir/' > /var/qmail/alias/.qmail-root
took "install the same package again"

step "remove with a message in the queue"
echo 'still queued' | sendmail root || fail "queue a message"
[ "$(count /var/qmail/queue/mess)" = 1 ] || fail "message not queued"
apt remove -y qmail-rs > /root/remove.log 2>&1 || { cat /root/remove.log; fail "remove"; }
[ -e /var/qmail/bin/qmail-send ] && fail "remove left the programs"
[ -e /usr/sbin/sendmail ] && fail "remove left /usr/sbin/sendmail"
[ -f /var/qmail/control/me ] || fail "remove took control/"
[ "$(count /var/qmail/queue/mess)" = 1 ] || fail "remove touched the queue"
took "apt remove"

step "purge with a message in the queue"
apt purge -y qmail-rs > /root/purge.log 2>&1 || { cat /root/purge.log; fail "purge"; }
grep 'qmail-rs:' /root/purge.log
grep -q 'still holds 1 message' /root/purge.log || fail "purge did not say the queue was kept"
[ -e /var/qmail/control ] && fail "purge left control/"
[ "$(count /var/qmail/queue/mess)" = 1 ] || fail "purge threw mail away"
took "apt purge (queue kept)"

step "install, deliver, purge with an empty queue"
apt install -y "./$(basename $deb)" > /root/install.log 2>&1 || { cat /root/install.log; fail "install again"; }
start_send
wait_count /var/qmail/alias/Maildir/new 2 || { cat /root/send.log; fail "queued mail not delivered after reinstall"; }
stop_send
apt purge -y qmail-rs > /root/purge2.log 2>&1 || { cat /root/purge2.log; fail "purge 2"; }
grep 'qmail-rs:' /root/purge2.log || true
[ -e /var/qmail/queue ] && fail "purge left an empty queue"
[ -e /var/qmail/control ] && fail "purge left control/"
[ "$(count /var/qmail/alias/Maildir)" = 2 ] || fail "purge threw the postmaster's mail away"
took "install, deliver the kept message, purge"
echo PASS
INNER
rc=0
fresh_run "$W" /root/lifecycle.sh || rc=$?
[ -n "${FRESH_KEEP:-}" ] || rm -rf "$W"
exit $rc
