#!/usr/bin/env bash
# bench/queue.sh N P: N 1 KiB messages through qmail-queue from P parallel injectors, in a
# private /var/qmail (mount namespace). Prints messages per second, fsync calls per message
# (strace -f -c) and qmail-queue's peak memory. Run as root from the repository root.
set -euo pipefail
N=${1:-4000}
P=${2:-4}
cd "$(dirname "$0")/.."
command -v strace >/dev/null || { echo "bench/queue.sh: needs strace (apt-get install strace)" >&2; exit 111; }
[ -x /usr/bin/time ] || { echo "bench/queue.sh: needs GNU time (apt-get install time)" >&2; exit 111; }
cargo build --release -q -p qmail-queue -p qmail-setup
root=$(mktemp -d /tmp/qmail-bench.XXXXXX)
chmod 755 "$root"
trap 'rm -rf "$root"' EXIT
mkdir -p /var/qmail
export root N P
unshare -m --propagation private -- bash -euo pipefail -c '
mount --bind "$root" /var/qmail
target/release/qmail-setup --bindir target/release --srcdir . >/dev/null
msg=$root.msg; env=$root.env
{ printf "From: bench@example.com\nTo: rcpt@example.org\nSubject: bench\n\n"; head -c 2000 /dev/zero | tr "\0" "x" | fold -w 72; } | head -c 1024 > "$msg"
printf "Fbench@example.com\0Trcpt@example.org\0\0" > "$env"
per=$(( N / P ))
start=$(date +%s%N)
for p in $(seq "$P"); do
  ( for i in $(seq "$per"); do /var/qmail/bin/qmail-queue < "$msg" 1< "$env" || echo "qmail-queue failed: $?" >&2; done ) &
done
wait
end=$(date +%s%N)
queued=$(ls /var/qmail/queue/todo | wc -l)
total=$(( per * P ))
ms=$(( (end - start) / 1000000 ))
echo "queued: $queued of $total messages in ${ms} ms, P=$P"
awk -v n="$queued" -v ms="$ms" "BEGIN { printf \"messages/second: %.1f\n\", n * 1000 / ms }"
strace -f -c -e trace=fsync,fdatasync,link,linkat,unlink,unlinkat,rename,renameat -o "$root.strace" \
  bash -c "for i in \$(seq 100); do /var/qmail/bin/qmail-queue < $msg 1< $env; done"
awk "/fsync|fdatasync/ { n += \$4 } END { printf \"fsync calls per message: %.2f\n\", n / 100 }" "$root.strace"
awk "/ link| linkat| unlink| unlinkat/ { printf \"%s calls per message: %.2f\n\", \$NF, \$4 / 100 }" "$root.strace"
/usr/bin/time -f "qmail-queue peak memory: %M KiB" /var/qmail/bin/qmail-queue < "$msg" 1< "$env"
rm -f "$msg" "$env" "$root.strace"
'
