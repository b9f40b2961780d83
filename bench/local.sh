#!/usr/bin/env bash
# bench/local.sh N P: N messages of 1 KiB injected by P parallel injectors (each running
# `sendmail -f bench@bench.example RCPT < msg` once per message, or with INJECT=queue
# `qmail-queue < msg 1< envelope`) to one local user's Maildir, first through qmail-rs (release build, installed with qmail-setup in a private
# /var/qmail, qmail-send running, default delivery ./Maildir/), then through Postfix
# (Debian's package: local(8) with home_mailbox = Maildir/) on the same work in the same run.
#
# Prints for each: end-to-end messages per second (mtime of the last file in new/ minus the
# first injection), CPU seconds per message (the injectors plus the whole daemon tree,
# from /proc including reaped children), fsync calls per message end to end (strace -f -c
# on the injectors and on the daemon tree, in a smaller run of N/10, at least 100), and
# qmail-send's peak RSS; then the ratios. With INJECT=queue it also prints the queueing
# rate (the injectors' finish) while qmail-send delivers, and Postfix is left out.
# Under bench/compare.sh (BENCH_SYSTEM, BENCH_HOME: see bench/lib.sh) it measures one
# system: an installed qmail home (qmail-rs or notqmail) or Postfix. FSYNC=0 skips the
# strace run.
#
# Everything runs in private mount, network and pid namespaces: private copies of
# /etc/postfix, /var/spool/postfix and /var/lib/postfix, a private home for the user
# qbench (created if missing), port 25 only on a loopback that only this script sees
# (inet_interfaces = loopback-only). Every daemon dies with the namespace; the host's
# Postfix (if any) is neither started nor touched. Run as root from anywhere.
# BIN_DIR=target/debug skips the release build.
set -euo pipefail
N=${1:-4000}
P=${2:-4}
cd "$(dirname "$0")/.."
for t in postfix postconf unshare strace ip; do
  command -v "$t" >/dev/null || {
    echo "bench/local.sh: needs $t (DEBIAN_FRONTEND=noninteractive apt-get install -y postfix strace iproute2)" >&2
    exit 111
  }
done
INJECT=${INJECT:-sendmail}
case $INJECT in sendmail | queue) ;; *) echo "bench/local.sh: INJECT is sendmail or queue" >&2; exit 100 ;; esac
[ "$INJECT" = sendmail ] || [ "${BENCH_SYSTEM:-}" != postfix ] || { echo "bench/local.sh: Postfix has no qmail-queue" >&2; exit 100; }
if [ -z "${BENCH_HOME:-}" ] && [ -z "${BIN_DIR:-}" ]; then
  cargo build --release -q -p qmail-setup -p qmail-inject -p qmail-queue -p qmail-start \
    -p qmail-send -p qmail-lspawn -p qmail-rspawn -p qmail-clean -p qmail-local -p qmail-getpw \
    -p qmail-newu -p splogger -p sendmail
  BIN_DIR=${CARGO_TARGET_DIR:-target}/release
fi
BIN_DIR=$(cd "${BIN_DIR:-.}" && pwd)
BENCH_LIB=$(pwd)/bench/lib.sh
id qbench >/dev/null 2>&1 || useradd -m -s /usr/sbin/nologin qbench
[ -d /home/qbench ] || { mkdir -p /home/qbench; chown qbench: /home/qbench; }
root=$(mktemp -d /tmp/qmail-bench-local.XXXXXX)
chmod 755 "$root"
trap '[ -n "${BENCH_KEEP:-}" ] && echo "kept $root" >&2 || rm -rf "$root"' EXIT
mkdir -p /var/qmail
export root N P BIN_DIR BENCH_LIB INJECT
unshare -m -n -p -f --mount-proc --propagation private -- bash -euo pipefail -c '
${TRACE:+set -x}
. "$BENCH_LIB"
ip link set lo up
TCK=$(getconf CLK_TCK)
ms() { echo $(( $(date +%s%N) / 1000000 )); }
count() { ls -U "$1" | wc -l; }
# wait_count DIR N SECS: until DIR holds N entries, failing after SECS without progress
wait_count() {
  local have last=-1 since
  since=$(date +%s)
  while have=$(count "$1"); [ "$have" -lt "$2" ]; do
    [ "$have" = "$last" ] || { last=$have; since=$(date +%s); }
    [ $(( $(date +%s) - since )) -lt "$3" ] || { echo "bench/local.sh: only $have of $2 messages in $1" >&2; return 1; }
    sleep 0.1
  done
}
# last_ms DIR: mtime of the newest file, in ms
last_ms() { find "$1" -type f -printf "%T@\n" | sort -n | tail -1 | awk "{ printf \"%.0f\", \$1 * 1000 }"; }
# inject SENDMAIL RCPT COUNT P: P parallel loops of SENDMAIL -f bench@bench.example RCPT, or
# with INJECT=queue of SENDMAIL (qmail-queue) with the envelope bench@bench.example, RCPT
inject() {
  local per=$(( $3 / $4 )) p
  for p in $(seq "$4"); do
    if [ "$INJECT" = queue ]; then
      ( for i in $(seq "$per"); do "$1" < "$root/msg" 1< "$root/env" || echo "bench/local.sh: injection failed: $?" >&2; done ) &
    else
      ( for i in $(seq "$per"); do "$1" -f bench@bench.example "$2" < "$root/msg" || echo "bench/local.sh: injection failed: $?" >&2; done ) &
    fi
  done
  wait
}
fsyncs() { awk "/ fsync\$| fdatasync\$/ { n += \$4 } END { print n + 0 }" "$@"; }
{ printf "From: bench@bench.example\nTo: qbench\nSubject: bench\n\n"; head -c 2000 /dev/zero | tr "\0" "x" | fold -w 72; } | head -c 1024 > "$root/msg"
printf "Fbench@bench.example\0Tqbench@bench.example\0\0" > "$root/env"
per=$(( N / P )); N=$(( per * P ))
SMALL=$(( N / 10 )); [ "$SMALL" -ge 100 ] || SMALL=100; SMALL=$(( SMALL / P * P ))
uid=$(id -u qbench); gid=$(id -g qbench)

########## qmail (qmail-rs, or the installed home under test)
if want qmail; then
bench_home "$root/qmail"
echo bench.example > "$Q/control/locals"
qh=$root/qhome
mkdir -p "$qh/Maildir/new" "$qh/Maildir/cur" "$qh/Maildir/tmp"
chown -R qbench: "$qh"
printf "=qbench:qbench:%s:%s:%s:::\n.\n" "$uid" "$gid" "$qh" > "$Q/users/assign"
"$Q/bin/qmail-newu"
if [ "$INJECT" = queue ]; then injector=$Q/bin/qmail-queue; else injector=$Q/bin/sendmail; fi
start_qmail() { # [strace output]: qmail-start as the boot scripts run it
  if [ -n "${1:-}" ]; then
    (cd / && exec env - PATH="$Q/bin:/usr/bin:/bin" strace -f -c -o "$1" qmail-start ./Maildir/ > "$root/send.log" 2>&1) &
  else
    (cd / && exec env - PATH="$Q/bin:/usr/bin:/bin" qmail-start ./Maildir/ > "$root/send.log" 2>&1) &
  fi
  send=$!
  for _ in $(seq 200); do grep -q "status: local" "$root/send.log" 2>/dev/null && break; sleep 0.05; done
  # under strace, $! is strace: qmail-send is its child
  sendpid=$send
  [ -z "${1:-}" ] || sendpid=$(pgrep -P "$send" | head -1)
}
stop_qmail() { kill "$sendpid"; wait "$send" 2>/dev/null || true; sleep 0.2; }
queue_empty() { [ -z "$(ls "$Q/queue/todo")" ] && [ -z "$(find "$Q/queue/mess" -type f)" ]; }
start_qmail
before=$(tree_ticks "$send")
t0=$(ms)
itime=$( { /usr/bin/time -f "%U %S" bash -c "$(declare -f inject); root=$root; inject $injector qbench@bench.example $N $P" >/dev/null; } 2>&1 | tail -1)
tq=$(ms)
wait_count "$qh/Maildir/new" "$N" 60
t1=$(last_ms "$qh/Maildir/new")
for _ in $(seq 100); do queue_empty && break; sleep 0.05; done
after=$(tree_ticks "$send")
peak=$(awk "/VmHWM/ { print \$2 }" /proc/$send/status)
stop_qmail
q_queued=$(rate "$N" $(( tq - t0 )))
q_rate=$(rate "$N" $(( t1 - t0 )))
q_cpu=$(awk -v i="$itime" -v d=$(( after - before )) -v tck="$TCK" -v n="$N" "BEGIN { split(i, a, \" \"); printf \"%.3f\", (a[1] + a[2] + d / tck) * 1000 / n }")
left=$(find "$Q/queue/mess" -type f | wc -l)
echo "$Q: $N messages of 1 KiB, $P injectors ($INJECT): queued $q_queued msg/s, end to end $q_rate msg/s ($(( t1 - t0 )) ms); CPU $q_cpu ms/message (injectors $itime s user/sys); queue left: $left"
echo "$Q: qmail-send peak RSS: $peak KiB"
metric queued "$q_queued" msg/s higher
metric end_to_end "$q_rate" msg/s higher
metric cpu_per_msg "$q_cpu" ms lower
metric send_peak_rss "$peak" KiB lower
if [ "${FSYNC:-1}" != 0 ]; then
  # fsync calls end to end, smaller run under strace
  rm -rf "$qh/Maildir/new"/*
  start_qmail "$root/q.send.strace"
  strace -f -c -o "$root/q.inj.strace" bash -c "$(declare -f inject); root=$root; inject $injector qbench@bench.example $SMALL $P" >/dev/null
  wait_count "$qh/Maildir/new" "$SMALL" 60
  for _ in $(seq 100); do queue_empty && break; sleep 0.05; done
  kill "$sendpid"; wait "$send" 2>/dev/null || true
  q_fs_inj=$(fsyncs "$root/q.inj.strace"); q_fs_send=$(fsyncs "$root/q.send.strace")
  q_fsync=$(awk -v a="$q_fs_inj" -v b="$q_fs_send" -v n="$SMALL" "BEGIN { printf \"%.2f\", (a + b) / n }")
  echo "$Q: fsync calls per message: $q_fsync (injection $q_fs_inj, qmail-send tree $q_fs_send over $SMALL messages)"
  metric fsyncs_per_msg "$q_fsync" calls lower
fi
fi

########## Postfix
if want postfix && [ "$INJECT" = sendmail ]; then
pf=$root/postfix
mkdir -p "$pf/etc" "$pf/spool" "$pf/lib" "$pf/home/Maildir"
chown -R qbench: "$pf/home"
cp -a /etc/postfix/. "$pf/etc/"
mount --bind "$pf/etc" /etc/postfix
mount --bind "$pf/spool" /var/spool/postfix
mount --bind "$pf/lib" /var/lib/postfix
mount --bind "$pf/home" /home/qbench
chown postfix "$pf/lib"
cat > /etc/postfix/main.cf <<EOF
compatibility_level = 3.6
myhostname = pf.bench.example
mydomain = bench.example
myorigin = \$myhostname
mydestination = localhost
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
home_mailbox = Maildir/
mailbox_command =
alias_maps =
alias_database =
smtputf8_enable = no
biff = no
maillog_file_prefixes = $pf
maillog_file = $pf/maillog
EOF
postconf -F "*/*/chroot = n"
pf_start() { # [strace output]
  if [ -n "${1:-}" ]; then
    strace -f -c -o "$1" postfix start >/dev/null 2>&1 &
    pfstrace=$!
  else
    postfix start >/dev/null 2>&1 || { echo "bench/local.sh: postfix did not start:" >&2; cat "$pf/maillog" >&2; exit 111; }
  fi
  for _ in $(seq 200); do [ -s /var/spool/postfix/pid/master.pid ] && break; sleep 0.05; done
  sleep 0.5
  master=$(tr -d " " < /var/spool/postfix/pid/master.pid)
}
pf_stop() {
  postfix stop >/dev/null 2>&1 || true
  for _ in $(seq 200); do kill -0 "$master" 2>/dev/null || break; sleep 0.05; done
}
pf_start
pdir=$pf/home/Maildir/new
before=$(tree_ticks "$master")
t0=$(ms)
itime=$( { /usr/bin/time -f "%U %S" bash -c "$(declare -f inject); root=$root; inject /usr/sbin/sendmail qbench@localhost $N $P" >/dev/null; } 2>&1 | tail -1)
wait_count "$pdir" "$N" 60
t1=$(last_ms "$pdir")
sleep 0.5
after=$(tree_ticks "$master")
pf_stop
p_rate=$(rate "$N" $(( t1 - t0 )))
p_cpu=$(awk -v i="$itime" -v d=$(( after - before )) -v tck="$TCK" -v n="$N" "BEGIN { split(i, a, \" \"); printf \"%.3f\", (a[1] + a[2] + d / tck) * 1000 / n }")
echo "postfix: $N messages of 1 KiB, $P injectors: end to end $p_rate msg/s ($(( t1 - t0 )) ms); CPU $p_cpu ms/message (injectors $itime s user/sys)"
metric end_to_end "$p_rate" msg/s higher
metric cpu_per_msg "$p_cpu" ms lower
if [ "${FSYNC:-1}" != 0 ]; then
  rm -rf "$pdir"/*
  pf_start "$root/p.send.strace"
  strace -f -c -o "$root/p.inj.strace" bash -c "$(declare -f inject); root=$root; inject /usr/sbin/sendmail qbench@localhost $SMALL $P" >/dev/null
  wait_count "$pdir" "$SMALL" 60
  sleep 0.5
  pf_stop
  wait "$pfstrace" 2>/dev/null || true
  p_fs_inj=$(fsyncs "$root/p.inj.strace"); p_fs_send=$(fsyncs "$root/p.send.strace")
  p_fsync=$(awk -v a="$p_fs_inj" -v b="$p_fs_send" -v n="$SMALL" "BEGIN { printf \"%.2f\", (a + b) / n }")
  echo "postfix: fsync calls per message: $p_fsync (injection $p_fs_inj, daemons $p_fs_send over $SMALL messages)"
  metric fsyncs_per_msg "$p_fsync" calls lower
fi
fi
if want qmail && want postfix && [ "$INJECT" = sendmail ]; then
  awk -v a="$q_rate" -v b="$p_rate" -v c="$q_cpu" -v d="$p_cpu" \
    "BEGIN { printf \"ratio qmail-rs/postfix: end to end %.2f, CPU per message %.2f\n\", a / b, c / d }"
fi
'
