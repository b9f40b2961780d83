#!/usr/bin/env bash
# bench/profile.sh HOME SCRIPT [ARGS...]: where the CPU of one bench/ run goes. Runs SCRIPT
# once on the installed qmail home HOME (as bench/compare.sh runs one side) inside a cgroup
# of its own, samples every CPU with `perf record -a -G` (cpu-clock, 2000 Hz: works on a
# virtual machine without hardware counters) and prints CPU milliseconds per message by
# program and by program and shared object (kernel, ld-linux, libc, the program itself).
# Only the processes of the run are counted, not the rest of a shared machine; setuid
# programs (qmail-queue) are counted too, which `perf record COMMAND` would lose.
# N is SCRIPT's first argument. Run as root; needs perf (linux-perf) and cgroup v2 at
# /sys/fs/cgroup/unified or /sys/fs/cgroup.
#   sudo bench/profile.sh /var/qmail bench/smtp-in.sh 1000 20
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: bench/profile.sh HOME SCRIPT N [ARGS...]" >&2; exit 100; }
home=$1 script=$(cd "$(dirname "$2")" && pwd)/$(basename "$2") n=$3
shift 2
command -v perf >/dev/null || { echo "bench/profile.sh: needs perf (apt-get install linux-perf)" >&2; exit 111; }
cg=
for d in /sys/fs/cgroup/unified /sys/fs/cgroup; do
  [ "$(stat -f -c %T "$d" 2>/dev/null)" = cgroup2fs ] && { cg=$d; break; }
done
[ -n "$cg" ] || { echo "bench/profile.sh: no cgroup v2 mount" >&2; exit 111; }
name=qmail-bench-profile.$$
mkdir "$cg/$name"
out=$(mktemp -d /tmp/bench-profile.XXXXXX)
cleanup() { rmdir "$cg/$name" 2>/dev/null || true; }
trap cleanup EXIT
(
  echo "$BASHPID" > "$cg/$name/cgroup.procs"
  exec env BENCH_SYSTEM=qmail BENCH_HOME="$home" bash "$script" "$@" > "$out/run.out" 2> "$out/run.err"
) &
run=$!
perf record -q -a -e cpu-clock -F 2000 -G "$name" -o "$out/perf.data" -- \
  bash -c "while kill -0 $run 2>/dev/null; do sleep 0.2; done" 2> "$out/perf.err"
wait "$run" || { echo "bench/profile.sh: $script failed:" >&2; tail -20 "$out/run.err" >&2; exit 111; }
grep -v '^metric ' "$out/run.out"
report() { perf report -i "$out/perf.data" -n --sort "$1" --stdio -g none 2>/dev/null | grep -v '^#' | grep .; }
echo "CPU ms per message by program (2000 Hz samples: 0.5 ms each; N = $n):"
report comm | awk -v n="$n" '{ printf "  %-16s %7.3f\n", $3, $2 * 0.5 / n }' | head -20
echo "by program and object:"
report comm,dso | awk -v n="$n" '$3 ~ /qmail|tcpserver|splogger/ { printf "  %-16s %-24s %7.3f\n", $3, $4, $2 * 0.5 / n }' | head -40
echo "perf data kept in $out"
