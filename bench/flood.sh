#!/usr/bin/env bash
# bench/flood.sh [SECONDS] [P]: deliveries while injections flood the queue (qmail's "silly
# qmail syndrome"). Local delivery to a Maildir, on one installed qmail home:
#   1. unloaded: M messages (default 1000) queued with qmail-send stopped, then qmail-send
#      started: messages delivered per second until the last is in Maildir/new;
#   2. flood: qmail-send running, P injectors (default 4) run qmail-queue back to back for
#      SECONDS (default 60), and one probe message a second goes to another Maildir. Reports
#      the deliveries per second during the flood (files in new/ whose mtime falls in the
#      flood), their ratio to the unloaded rate, the injection rate, the backlog the flood
#      left (queued minus delivered; when it is 0 the injectors, not delivery, set the pace
#      and the ratio to the unloaded rate says nothing), the CPU of qmail-send's tree per
#      delivery, and each probe's latency from the moment its qmail-queue starts
#      to its file's mtime in new/ (p50, p99, max; a probe not delivered 120 s after the
#      flood counts as that late).
# Under bench/compare.sh (BENCH_HOME, BENCH_TREE: see bench/lib.sh) it measures the given
# home: run it as `bench/compare.sh bench/flood.sh 60 4` for /var/qmail beside /var/notqmail.
# Without BENCH_HOME it builds qmail-rs (release) and installs it in a private /var/qmail.
# Everything runs in private mount, network and pid namespaces; deliveries go to the user
# qbench (created if missing). Run as root.
set -euo pipefail
D=${1:-60}
P=${2:-4}
M=${M:-1000}
cd "$(dirname "$0")/.."
for t in unshare ip; do
  command -v "$t" >/dev/null || { echo "bench/flood.sh: needs $t" >&2; exit 111; }
done
if [ -z "${BENCH_HOME:-}" ] && [ -z "${BIN_DIR:-}" ]; then
  cargo build --release -q -p qmail-setup -p qmail-queue -p qmail-start -p qmail-send \
    -p qmail-todo -p qmail-lspawn -p qmail-rspawn -p qmail-clean -p qmail-local -p qmail-getpw \
    -p qmail-newu -p splogger
  BIN_DIR=${CARGO_TARGET_DIR:-target}/release
fi
BIN_DIR=$(cd "${BIN_DIR:-.}" && pwd)
BENCH_LIB=$(pwd)/bench/lib.sh
id qbench >/dev/null 2>&1 || useradd -m -s /usr/sbin/nologin qbench
root=$(mktemp -d /tmp/qmail-bench-flood.XXXXXX)
chmod 755 "$root"
trap '[ -n "${BENCH_KEEP:-}" ] && echo "kept $root" >&2 || rm -rf "$root"' EXIT
mkdir -p /var/qmail
export root D P M BIN_DIR BENCH_LIB
unshare -m -n -p -f --mount-proc --propagation private -- bash -euo pipefail -c '
${TRACE:+set -x}
. "$BENCH_LIB"
ip link set lo up
TCK=$(getconf CLK_TCK)
count() { ls -U "$1" | wc -l; }
# wait_count DIR N SECS: until DIR holds N entries; false after SECS without progress
wait_count() {
  local have last=-1 since
  since=$(date +%s)
  while have=$(count "$1"); [ "$have" -lt "$2" ]; do
    [ "$have" = "$last" ] || { last=$have; since=$(date +%s); }
    [ $(( $(date +%s) - since )) -lt "$3" ] || return 1
    sleep 0.1
  done
}
# mtimes DIR: the mtime of every file, in ms, sorted
mtimes() { find "$1" -type f -printf "%T@\n" | awk "{ printf \"%.0f\n\", \$1 * 1000 }" | sort -n; }

bench_home "$root/q"
echo bench.example > "$Q/control/locals"
uid=$(id -u qbench); gid=$(id -g qbench)
for u in flood probe; do
  mkdir -p "$root/$u/Maildir/new" "$root/$u/Maildir/cur" "$root/$u/Maildir/tmp"
done
chown -R qbench: "$root/flood" "$root/probe"
printf "=qbench:qbench:%s:%s:%s:::\n=qprobe:qbench:%s:%s:%s:::\n.\n" \
  "$uid" "$gid" "$root/flood" "$uid" "$gid" "$root/probe" > "$Q/users/assign"
"$Q/bin/qmail-newu"
{ printf "From: bench@bench.example\nTo: qbench\nSubject: flood\n\n"; head -c 2000 /dev/zero | tr "\0" "x" | fold -w 72; } | head -c 1024 > "$root/msg"
printf "Fbench@bench.example\0Tqbench@bench.example\0\0" > "$root/env"
printf "Fbench@bench.example\0Tqprobe@bench.example\0\0" > "$root/penv"

start_qmail() {
  (cd / && exec env - PATH="$Q/bin:/usr/bin:/bin" qmail-start ./Maildir/ >> "$root/send.log" 2>&1) &
  send=$!
  for _ in $(seq 200); do grep -q "status: local" "$root/send.log" 2>/dev/null && break; sleep 0.05; done
}
stop_qmail() { kill "$send" || true; wait "$send" 2>/dev/null || true; sleep 0.2; }

########## 1. unloaded: a queue of M messages drained with nothing else going on
per=$(( M / P )); M=$(( per * P ))
for p in $(seq "$P"); do
  ( for i in $(seq "$per"); do "$Q/bin/qmail-queue" < "$root/msg" 1< "$root/env" || echo "bench/flood.sh: qmail-queue failed: $?" >&2; done ) &
done
wait
t0=$(now_ms)
start_qmail
wait_count "$root/flood/Maildir/new" "$M" 60 || { echo "bench/flood.sh: unloaded: only $(count "$root/flood/Maildir/new") of $M delivered" >&2; exit 111; }
t1=$(mtimes "$root/flood/Maildir/new" | tail -1)
stop_qmail
unloaded=$(rate "$M" $(( t1 - t0 )))
echo "$Q: unloaded: $M queued messages delivered in $(( t1 - t0 )) ms: $unloaded msg/s"
find "$root/flood/Maildir/new" -type f -delete

########## 2. the flood
start_qmail
sleep 1
before=$(tree_ticks "$send")
t0=$(now_ms)
end=$(( t0 + D * 1000 ))
pids=
for p in $(seq "$P"); do
  ( n=0; while [ "$(now_ms)" -lt "$end" ]; do "$Q/bin/qmail-queue" < "$root/msg" 1< "$root/env" && n=$((n + 1)); done; echo "$n" > "$root/injected.$p" ) &
  pids="$pids $!"
done
(
  i=0
  while [ "$(now_ms)" -lt "$end" ]; do
    i=$((i + 1))
    printf "From: bench@bench.example\nTo: qprobe\nSubject: probe\nX-Probe: %s\n\nprobe\n" "$i" > "$root/probe.msg"
    echo "$i $(now_ms)" >> "$root/probes"
    "$Q/bin/qmail-queue" < "$root/probe.msg" 1< "$root/penv" || echo "bench/flood.sh: probe failed" >&2
    sleep 1
  done
) &
pids="$pids $!"
# shellcheck disable=SC2086
wait $pids
t1=$(now_ms)
after=$(tree_ticks "$send")
injected=$(cat "$root"/injected.* | awk "{ s += \$1 } END { print s + 0 }")
during=$(mtimes "$root/flood/Maildir/new" | awk -v a="$t0" -v b="$t1" "\$1 >= a && \$1 <= b { n++ } END { print n + 0 }")
flood=$(rate "$during" $(( t1 - t0 )))
inj=$(rate "$injected" $(( t1 - t0 )))
ratio=$(awk -v f="$flood" -v u="$unloaded" "BEGIN { printf \"%.0f\", f * 100 / u }")
cpu=$(ms_per_msg $(( after - before )) "$(( during > 0 ? during : 1 ))")
nprobes=$(wc -l < "$root/probes")
wait_count "$root/probe/Maildir/new" "$nprobes" 120 || true
tw=$(now_ms)
stop_qmail
# probe latencies: X-Probe number -> mtime of its file; a missing probe counts until tw
for f in "$root"/probe/Maildir/new/*; do
  [ -f "$f" ] || continue
  echo "$(sed -n "s/^X-Probe: //p" "$f") $(stat -c %.3Y "$f" | awk "{ printf \"%.0f\", \$1 * 1000 }")"
done | sort -n > "$root/delivered"
lat=$(awk -v tw="$tw" "NR == FNR { got[\$1] = \$2; next } { d = (\$1 in got) ? got[\$1] - \$2 : tw - \$2; if (!(\$1 in got)) late++; print d } END { }" "$root/delivered" "$root/probes" | sort -n)
late=$(( nprobes - $(wc -l < "$root/delivered") ))
pct() { echo "$lat" | awk -v p="$1" "{ v[NR] = \$1 } END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print v[i] + 0 }"; }
p50=$(pct 50); p99=$(pct 99); pmax=$(pct 100)
echo "$Q: flood: $P injectors for $(( (t1 - t0) / 1000 )) s queued $injected messages ($inj msg/s); delivered meanwhile $during ($flood msg/s, $ratio % of unloaded), backlog $(( injected - during )); qmail-send tree CPU $cpu ms per delivery"
echo "$Q: probes: $nprobes, latency p50 $p50 ms, p99 $p99 ms, max $pmax ms, not delivered 120 s after the flood: $late"
metric unloaded_rate "$unloaded" msg/s higher
metric flood_rate "$flood" msg/s higher
metric flood_vs_unloaded "$ratio" % higher
metric injected_rate "$inj" msg/s higher
metric backlog "$(( injected - during ))" messages lower
metric send_cpu_per_delivery "$cpu" ms lower
metric probe_p50 "$p50" ms lower
metric probe_p99 "$p99" ms lower
metric probes_late "$late" count lower
'
