#!/usr/bin/env bash
# bench/dkim.sh [N] [P] [ROUNDS]: the cost of DKIM signing on local injection. N messages
# of 1 KiB through `sendmail -f bench@bench.example RCPT` by P parallel injectors into the
# real qmail-queue (setuid qmailq, fsyncs and all; qmail-send is not running, the queue is
# emptied between runs), in three modes alternated within one run, ROUNDS times, the order
# rotating each round:
#   plain    no control/qmailqueue: sendmail -> qmail-inject -> qmail-queue
#   ed25519  control/qmailqueue names qmail-dkim, bench.example:ed in control/dkimdomains
#   rsa2048  the same with an RSA-2048 key
# Prints per mode the median injection rate, its ratio to plain (issue 16's targets: at
# least 0.90 for Ed25519 and 0.80 for RSA-2048), the CPU per message of the injectors'
# process trees and qmail-dkimsign's CPU per signature (microseconds, from /proc).
# Everything runs in a private mount namespace over a private /var/qmail installed with
# qmail-setup from `make build`'s programs. Run as root.
# BIN_DIR=... skips the build.
set -euo pipefail
N=${1:-1000}
P=${2:-2}
ROUNDS=${3:-5}
cd "$(dirname "$0")/.."
if [ -z "${BIN_DIR:-}" ]; then
  # linked as `make build` links them (musl or static glibc; the NSS programs dynamic)
  make -s build
  BIN_DIR=${CARGO_TARGET_DIR:-target}/release
fi
BIN_DIR=$(cd "$BIN_DIR" && pwd)
BENCH_LIB=$(pwd)/bench/lib.sh
root=$(mktemp -d /tmp/qmail-bench-dkim.XXXXXX)
chmod 755 "$root"
trap '[ -n "${BENCH_KEEP:-}" ] && echo "kept $root" >&2 || rm -rf "$root"' EXIT
mkdir -p /var/qmail
export root N P ROUNDS BIN_DIR BENCH_LIB
unshare -m --propagation private -- bash -euo pipefail -c '
. "$BENCH_LIB"
TCK=$(getconf CLK_TCK)
bench_home "$root/q"
{ printf "From: Bench <bench@bench.example>\nTo: qbench@far.example\nSubject: bench\nMessage-ID: <b@bench.example>\n\n"; head -c 2000 /dev/zero | tr "\0" "x" | fold -w 72; } | head -c 1024 > "$root/msg"
"$Q/bin/qmail-dkimkey" bench.example ed ed25519 >/dev/null 2>&1
"$Q/bin/qmail-dkimkey" bench.example rsa rsa 2048 >/dev/null 2>&1
(cd / && exec env - PATH="$Q/bin:/usr/bin:/bin" "$Q/bin/qmail-dkimsign" > /dev/null 2> "$root/sign.log") &
signer=$!
trap "kill $signer 2>/dev/null || true" EXIT
for _ in $(seq 100); do grep -q ready "$root/sign.log" && break; sleep 0.05; done
grep -q ready "$root/sign.log" || { echo "bench/dkim.sh: qmail-dkimsign did not start:" >&2; cat "$root/sign.log" >&2; exit 111; }
# CPU ticks of qmail-dkimsign itself (its threads count in its /proc stat)
sticks() { awk "{ sub(/^.*\\) /, \"\"); split(\$0, f, \" \"); print f[12] + f[13] }" "/proc/$signer/stat"; }
setmode() {
  rm -f "$Q/control/qmailqueue" "$Q/control/dkimdomains"
  case $1 in
    plain) ;;
    ed25519) echo "$Q/bin/qmail-dkim" > "$Q/control/qmailqueue"; echo bench.example:ed > "$Q/control/dkimdomains" ;;
    rsa2048) echo "$Q/bin/qmail-dkim" > "$Q/control/qmailqueue"; echo bench.example:rsa > "$Q/control/dkimdomains" ;;
  esac
}
clear_queue() { find "$Q/queue" -mindepth 2 -type f ! -path "$Q/queue/lock/*" -delete; }
inject() {
  local per=$(( N / P )) p
  for p in $(seq "$P"); do
    ( for i in $(seq "$per"); do "$Q/bin/sendmail" -f bench@bench.example qbench@far.example < "$root/msg" || echo "bench/dkim.sh: injection failed: $?" >&2; done ) &
  done
  wait
}
modes="plain ed25519 rsa2048"
for r in $(seq "$ROUNDS"); do
  # rotate the order: each mode runs first, second and last in turn
  set -- $modes; modes="$2 $3 $1"
  for m in $modes; do
    setmode "$m"; clear_queue
    s0=$(sticks)
    t0=$(date +%s%N)
    itime=$( { /usr/bin/time -f "%U %S" bash -c "$(declare -f inject); Q=$Q N=$N P=$P root=$root; inject" >/dev/null; } 2>&1 | tail -1)
    t1=$(date +%s%N)
    s1=$(sticks)
    got=$(find "$Q/queue/mess" -type f | wc -l)
    [ "$got" -eq $(( N / P * P )) ] || { echo "bench/dkim.sh: $m: $got messages queued of $(( N / P * P ))" >&2; exit 111; }
    if [ "$m" != plain ]; then
      f=$(find "$Q/queue/mess" -type f -print -quit)
      grep -q "^DKIM-Signature: " "$f" || { echo "bench/dkim.sh: $m: not signed" >&2; exit 111; }
    fi
    ms=$(( (t1 - t0) / 1000000 ))
    n=$(( N / P * P ))
    echo "$m $(rate "$n" "$ms") $(awk -v i="$itime" -v n="$n" "BEGIN { split(i, a, \" \"); printf \"%.0f\", (a[1] + a[2]) * 1000000 / n }") $(awk -v d=$(( s1 - s0 )) -v t="$TCK" -v n="$n" "BEGIN { printf \"%.0f\", d * 1000000 / t / n }")" >> "$root/results"
    echo "round $r $m: $n messages in $ms ms"
  done
done
echo
echo "mode      median msg/s   ratio   injector CPU us/msg   signer CPU us/signature   (all rounds: msg/s)"
med() { sort -n | awk "{ v[NR] = \$1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf \"%.1f\n\", (v[NR / 2] + v[NR / 2 + 1]) / 2 }"; }
base=$(awk "\$1 == \"plain\" { print \$2 }" "$root/results" | med)
for m in plain ed25519 rsa2048; do
  rt=$(awk -v m=$m "\$1 == m { print \$2 }" "$root/results" | med)
  cpu=$(awk -v m=$m "\$1 == m { print \$3 }" "$root/results" | med)
  sig=$(awk -v m=$m "\$1 == m { print \$4 }" "$root/results" | med)
  all=$(awk -v m=$m "\$1 == m { printf \"%s \", \$2 }" "$root/results")
  ratio=$(awk -v a="$rt" -v b="$base" "BEGIN { printf \"%.3f\", a / b }")
  [ "$m" != plain ] || sig=-
  printf "%-9s %14s %7s %21s %25s   (%s)\n" "$m" "$rt" "$ratio" "$cpu" "$sig" "$all"
  metric "rate_$m" "$rt" msg/s higher
  metric "ratio_$m" "$ratio" x higher
  metric "inject_cpu_$m" "$cpu" us lower
  [ "$m" = plain ] || metric "sign_cpu_$m" "$sig" us lower
done
'
