#!/usr/bin/env bash
# bench/smtp-in.sh N S: N messages of 1 KiB from Postfix's smtp-source with S parallel
# sessions (one message per connection), first against tcpserver + qmail-smtpd (qmail-rs
# release build, installed in a private /var/qmail) with qmail-send delivering to a
# Maildir, then against Postfix's own smtpd delivering to a Maildir (virtual(8)), with the
# same client in the same run. Prints messages per second accepted (smtp-source finished)
# and end to end (all N in the Maildir), qmail-smtpd's peak memory, and the ratios.
#
# Everything runs in private mount, network and pid namespaces: port 25 on a loopback
# that only this script sees, private copies of /etc/postfix, /var/spool/postfix and
# /var/lib/postfix, and every daemon dies with the namespace. The host's Postfix (if any)
# is neither started nor touched. Run as root. BIN_DIR=target/debug skips the release build.
set -euo pipefail
N=${1:-4000}
S=${2:-20}
cd "$(dirname "$0")/.."
for t in tcpserver smtp-source postfix postconf unshare ip; do
  command -v "$t" >/dev/null || {
    echo "bench/smtp-in.sh: needs $t (apt-get install ucspi-tcp postfix iproute2)" >&2
    exit 111
  }
done
[ -x /usr/bin/time ] || { echo "bench/smtp-in.sh: needs GNU time (apt-get install time)" >&2; exit 111; }
if [ -z "${BIN_DIR:-}" ]; then
  cargo build --release -q -p qmail-setup -p qmail-smtpd -p qmail-queue -p qmail-start \
    -p qmail-send -p qmail-lspawn -p qmail-rspawn -p qmail-clean -p qmail-local -p qmail-getpw
  BIN_DIR=target/release
fi
BIN_DIR=$(cd "$BIN_DIR" && pwd)
root=$(mktemp -d /tmp/qmail-smtp-in.XXXXXX)
chmod 755 "$root"
trap 'rm -rf "$root"' EXIT
mkdir -p /var/qmail
export root N S BIN_DIR
unshare -m -n -p -f --mount-proc --propagation private -- bash -euo pipefail -c '
${TRACE:+set -x}
ip link set lo up
qmaild=$(id -u qmaild)
nofiles=$(getent group nofiles | cut -d: -f3)
ms() { echo $(( $(date +%s%N) / 1000000 )); }
rate() { awk -v n="$1" -v ms="$2" "BEGIN { printf \"%.1f\", n * 1000 / ms }"; }
count() { find "$1" -type f 2>/dev/null | wc -l; }
# wait_count DIR N SECS: until DIR holds N files; prints the time of arrival
wait_count() {
  local end=$(( $(date +%s) + $3 ))
  while [ "$(count "$1")" -lt "$2" ]; do
    [ "$(date +%s)" -lt "$end" ] || { echo "bench/smtp-in.sh: only $(count "$1") of $2 messages in $1" >&2; return 1; }
    sleep 0.05
  done
  ms
}
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/25) 2>/dev/null && return 0
    sleep 0.05
  done
  echo "bench/smtp-in.sh: nothing listens on port 25" >&2
  return 1
}
source_mail() { # N S: smtp-source against port 25
  smtp-source -s "$2" -l 1024 -m "$1" -M client.example -f sender@client.example \
    -t bench@bench.example 127.0.0.1:25
}

########## qmail-rs
q=$root/qmail
mkdir -p "$q/control"
echo bench.example > "$q/control/me"
mount --bind "$q" /var/qmail
"$BIN_DIR/qmail-setup" --bindir "$BIN_DIR" --srcdir . >/dev/null
echo bench.example > /var/qmail/control/locals
echo bench.example > /var/qmail/control/rcpthosts
mkdir -p /var/qmail/alias/Maildir/new /var/qmail/alias/Maildir/cur /var/qmail/alias/Maildir/tmp
echo ./Maildir/ > /var/qmail/alias/.qmail-bench
chown -R alias /var/qmail/alias/Maildir /var/qmail/alias/.qmail-bench
chmod 644 /var/qmail/alias/.qmail-bench
(cd / && exec env - PATH=/var/qmail/bin:/usr/bin:/bin qmail-start ./Maildir/ > "$root/send.log" 2>&1) &
send=$!
for _ in $(seq 100); do grep -q "status: local" "$root/send.log" && break; sleep 0.05; done
env - PATH=/var/qmail/bin:/usr/bin:/bin tcpserver -R -H -l bench.example -c $(( S * 2 )) -b $(( S * 2 )) \
  -u "$qmaild" -g "$nofiles" 127.0.0.1 25 /var/qmail/bin/qmail-smtpd 2>"$root/tcpserver.log" &
tcps=$!
wait_port
start=$(ms)
source_mail "$N" "$S"
accepted=$(ms)
delivered=$(wait_count /var/qmail/alias/Maildir/new "$N" 300)
q_acc=$(rate "$N" $(( accepted - start )))
q_e2e=$(rate "$N" $(( delivered - start )))
kill "$tcps"; wait "$tcps" 2>/dev/null || true
for _ in $(seq 200); do [ -z "$(ls /var/qmail/queue/todo)" ] && [ -z "$(find /var/qmail/queue/mess -type f)" ] && break; sleep 0.05; done
left=$(find /var/qmail/queue/mess -type f | wc -l)
# peak memory: the same client, each qmail-smtpd under GNU time
: > "$root/smtpd.mem"; chmod 666 "$root/smtpd.mem"
env - PATH=/var/qmail/bin:/usr/bin:/bin tcpserver -R -H -l bench.example -c $(( S * 2 )) \
  -u "$qmaild" -g "$nofiles" 127.0.0.1 25 \
  /usr/bin/time -a -o "$root/smtpd.mem" -f %M /var/qmail/bin/qmail-smtpd 2>>"$root/tcpserver.log" &
tcps=$!
wait_port
source_mail 200 "$S"
kill "$tcps"; wait "$tcps" 2>/dev/null || true
peak=$(sort -n "$root/smtpd.mem" | tail -1)
kill "$send"; wait "$send" 2>/dev/null || true
echo "qmail-rs: $N messages, $S sessions, 1 KiB: accepted $q_acc msg/s, end to end $q_e2e msg/s ($(( accepted - start )) ms, $(( delivered - start )) ms); queue left: $left"
echo "qmail-smtpd peak memory: $peak KiB"

########## Postfix
pf=$root/postfix
mkdir -p "$pf/etc" "$pf/spool" "$pf/lib" "$pf/mail/bench/Maildir"
cp -a /etc/postfix/. "$pf/etc/"
mount --bind "$pf/etc" /etc/postfix
mount --bind "$pf/spool" /var/spool/postfix
mount --bind "$pf/lib" /var/lib/postfix
chown postfix "$pf/lib"
chown -R nobody:nogroup "$pf/mail"
cat > /etc/postfix/main.cf <<EOF
compatibility_level = 3.6
myhostname = pf.bench.example
mydomain = bench.example
myorigin = \$myhostname
mydestination = localhost
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_banner = \$myhostname ESMTP
alias_maps =
alias_database =
virtual_mailbox_domains = bench.example
virtual_mailbox_base = $pf/mail
virtual_mailbox_maps = static:bench/Maildir/
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(getent group nogroup | cut -d: -f3)
virtual_minimum_uid = 1
smtputf8_enable = no
biff = no
maillog_file_prefixes = $pf
maillog_file = $pf/maillog
EOF
postconf -F "*/*/chroot = n"
postfix start >/dev/null 2>&1 || { echo "bench/smtp-in.sh: postfix did not start:" >&2; cat "$pf/maillog" >&2; exit 111; }
wait_port
start=$(ms)
source_mail "$N" "$S"
accepted=$(ms)
delivered=$(wait_count "$pf/mail/bench/Maildir/new" "$N" 300)
p_acc=$(rate "$N" $(( accepted - start )))
p_e2e=$(rate "$N" $(( delivered - start )))
postfix stop >/dev/null 2>&1 || true
echo "postfix: $N messages, $S sessions, 1 KiB: accepted $p_acc msg/s, end to end $p_e2e msg/s ($(( accepted - start )) ms, $(( delivered - start )) ms)"
awk -v a="$q_acc" -v b="$p_acc" -v c="$q_e2e" -v d="$p_e2e" "BEGIN { printf \"ratio qmail-rs/postfix: accepted %.2f, end to end %.2f\n\", a / b, c / d }"
'
