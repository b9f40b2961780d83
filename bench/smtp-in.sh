#!/usr/bin/env bash
# bench/smtp-in.sh N S: N messages of 1 KiB from Postfix's smtp-source with S parallel
# sessions (one message per connection), first against tcpserver + qmail-smtpd (qmail-rs
# release build, installed in a private /var/qmail) with qmail-send delivering to a
# Maildir, then against Postfix's own smtpd delivering to a Maildir (virtual(8)), with the
# same client in the same run. Prints messages per second accepted (smtp-source finished)
# and end to end (all N in the Maildir), CPU milliseconds per message of the MTA's processes
# (tcpserver or Postfix's master and everything they started, until the queue is empty;
# smtp-source not counted), qmail-smtpd's and qmail-send's peak memory, and the ratios.
# Under bench/compare.sh (BENCH_SYSTEM, BENCH_HOME: see bench/lib.sh) it measures one
# system: an installed qmail home (qmail-rs or notqmail) or Postfix.
#
# Everything runs in private mount, network and pid namespaces: port 25 on a loopback
# that only this script sees, private copies of /etc/postfix, /var/spool/postfix and
# /var/lib/postfix, and every daemon dies with the namespace. The host's Postfix (if any)
# is neither started nor touched. Run as root. BIN_DIR=target/debug skips the release build.
# SMTPD_ENV adds VAR=VALUE words to qmail-smtpd's environment (a filter in QMAILQUEUE,
# say QMAILQUEUE=/var/qmail/bin/qmail-authres); BENCH_DNS_ZONE names a zone file of
# crates/qmail-spf/tests/dns_server.py, served on 127.0.0.1:53 inside the namespace and
# named by a private /etc/resolv.conf (SPF and DKIM lookups stay inside).
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
if [ -z "${BENCH_HOME:-}" ] && [ -z "${BIN_DIR:-}" ]; then
  cargo build --release -q -p qmail-setup -p qmail-smtpd -p qmail-queue -p qmail-start \
    -p qmail-send -p qmail-lspawn -p qmail-rspawn -p qmail-clean -p qmail-local -p qmail-getpw
  BIN_DIR=${CARGO_TARGET_DIR:-target}/release
fi
BIN_DIR=$(cd "${BIN_DIR:-.}" && pwd)
BENCH_LIB=$(pwd)/bench/lib.sh
root=$(mktemp -d /tmp/qmail-smtp-in.XXXXXX)
chmod 755 "$root"
trap '[ -n "${BENCH_KEEP:-}" ] && echo "kept $root" >&2 || rm -rf "$root"' EXIT
mkdir -p /var/qmail
DNS_SERVER=$(pwd)/crates/qmail-spf/tests/dns_server.py
SMTPD_ENV=${SMTPD_ENV:-}
BENCH_DNS_ZONE=${BENCH_DNS_ZONE:-}
export root N S BIN_DIR BENCH_LIB DNS_SERVER SMTPD_ENV BENCH_DNS_ZONE
unshare -m -n -p -f --mount-proc --propagation private -- bash -euo pipefail -c '
${TRACE:+set -x}
. "$BENCH_LIB"
ip link set lo up
if [ -n "$BENCH_DNS_ZONE" ]; then
  (sleep 100000 | /usr/bin/python3 "$DNS_SERVER" "$BENCH_DNS_ZONE" 127.0.0.1 53 > "$root/dns.out") &
  for _ in $(seq 100); do grep -q READY "$root/dns.out" 2>/dev/null && break; sleep 0.05; done
  grep -q READY "$root/dns.out" || { echo "bench/smtp-in.sh: the DNS server did not start" >&2; exit 111; }
  echo "nameserver 127.0.0.1" > "$root/resolv.conf"
  mount --bind "$root/resolv.conf" /etc/resolv.conf
fi
qmaild=$(id -u qmaild)
nofiles=$(getent group nofiles | cut -d: -f3)
count() { find "$1" -type f 2>/dev/null | wc -l; }
# wait_count DIR N SECS: until DIR holds N files, failing after SECS without progress;
# prints the time of arrival
wait_count() {
  local have last=-1 since
  since=$(date +%s)
  while have=$(count "$1"); [ "$have" -lt "$2" ]; do
    [ "$have" = "$last" ] || { last=$have; since=$(date +%s); }
    [ $(( $(date +%s) - since )) -lt "$3" ] || { echo "bench/smtp-in.sh: only $have of $2 messages in $1" >&2; return 1; }
    sleep 0.05
  done
  now_ms
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

########## qmail (qmail-rs, or the installed home under test)
if want qmail; then
bench_home "$root/qmail"
echo bench.example > "$Q/control/locals"
echo bench.example > "$Q/control/rcpthosts"
mkdir -p "$Q/alias/Maildir/new" "$Q/alias/Maildir/cur" "$Q/alias/Maildir/tmp"
echo ./Maildir/ > "$Q/alias/.qmail-bench"
chown -R alias "$Q/alias/Maildir" "$Q/alias/.qmail-bench"
chmod 644 "$Q/alias/.qmail-bench"
(cd / && exec env - PATH="$Q/bin:/usr/bin:/bin" qmail-start ./Maildir/ > "$root/send.log" 2>&1) &
send=$!
for _ in $(seq 100); do grep -q "status: local" "$root/send.log" && break; sleep 0.05; done
env - PATH="$Q/bin:/usr/bin:/bin" $SMTPD_ENV tcpserver -R -H -l bench.example -c $(( S * 2 )) -b $(( S * 2 )) \
  -u "$qmaild" -g "$nofiles" 127.0.0.1 25 "$Q/bin/qmail-smtpd" 2>"$root/tcpserver.log" &
tcps=$!
wait_port
before=$(tree_ticks "$send" "$tcps")
start=$(now_ms)
source_mail "$N" "$S"
accepted=$(now_ms)
delivered=$(wait_count "$Q/alias/Maildir/new" "$N" 30)
for _ in $(seq 200); do [ -z "$(ls "$Q/queue/todo")" ] && [ -z "$(find "$Q/queue/mess" -type f)" ] && break; sleep 0.05; done
after=$(tree_ticks "$send" "$tcps")
q_acc=$(rate "$N" $(( accepted - start )))
q_e2e=$(rate "$N" $(( delivered - start )))
q_cpu=$(ms_per_msg $(( after - before )) "$N")
send_peak=$(awk "/VmHWM/ { print \$2 }" /proc/$send/status)
kill "$tcps"; wait "$tcps" 2>/dev/null || true
left=$(find "$Q/queue/mess" -type f | wc -l)
# peak memory: the same client, each qmail-smtpd under GNU time
: > "$root/smtpd.mem"; chmod 666 "$root/smtpd.mem"
env - PATH="$Q/bin:/usr/bin:/bin" $SMTPD_ENV tcpserver -R -H -l bench.example -c $(( S * 2 )) \
  -u "$qmaild" -g "$nofiles" 127.0.0.1 25 \
  /usr/bin/time -a -o "$root/smtpd.mem" -f %M "$Q/bin/qmail-smtpd" 2>>"$root/tcpserver.log" &
tcps=$!
wait_port
source_mail 200 "$S"
kill "$tcps"; wait "$tcps" 2>/dev/null || true
peak=$(sort -n "$root/smtpd.mem" | tail -1)
kill "$send"; wait "$send" 2>/dev/null || true
echo "$Q: $N messages, $S sessions, 1 KiB: accepted $q_acc msg/s, end to end $q_e2e msg/s ($(( accepted - start )) ms, $(( delivered - start )) ms); CPU $q_cpu ms/message; queue left: $left"
echo "$Q: qmail-smtpd peak memory: $peak KiB; qmail-send: $send_peak KiB"
metric accepted "$q_acc" msg/s higher
metric end_to_end "$q_e2e" msg/s higher
metric cpu_per_msg "$q_cpu" ms lower
metric smtpd_peak_rss "$peak" KiB lower
metric send_peak_rss "$send_peak" KiB lower
fi

########## Postfix
if want postfix; then
postfix_start "$root/postfix" bench/smtp-in.sh < /dev/null
wait_port
master=$(tr -d " " < /var/spool/postfix/pid/master.pid)
before=$(tree_ticks "$master")
start=$(now_ms)
source_mail "$N" "$S"
accepted=$(now_ms)
delivered=$(wait_count "$pf/mail/bench/Maildir/new" "$N" 30)
sleep 0.5
after=$(tree_ticks "$master")
p_acc=$(rate "$N" $(( accepted - start )))
p_e2e=$(rate "$N" $(( delivered - start )))
p_cpu=$(ms_per_msg $(( after - before )) "$N")
postfix stop >/dev/null 2>&1 || true
echo "postfix: $N messages, $S sessions, 1 KiB: accepted $p_acc msg/s, end to end $p_e2e msg/s ($(( accepted - start )) ms, $(( delivered - start )) ms); CPU $p_cpu ms/message"
metric accepted "$p_acc" msg/s higher
metric end_to_end "$p_e2e" msg/s higher
metric cpu_per_msg "$p_cpu" ms lower
fi
if want qmail && want postfix; then
  awk -v a="$q_acc" -v b="$p_acc" -v c="$q_e2e" -v d="$p_e2e" "BEGIN { printf \"ratio qmail-rs/postfix: accepted %.2f, end to end %.2f\n\", a / b, c / d }"
fi
'
