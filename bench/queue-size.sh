#!/usr/bin/env bash
# bench/queue-size.sh [N...]: qmail-send with N messages already queued (default 1000
# 10000 100000), local recipients whose next attempt is a day away. For each N: the time
# from qmail-start to the delivery of a message queued just before it (start-up: the scan
# of info/ plus the first delivery attempt of a new message), qmail-send's RSS then, and the
# latency of a message injected once it runs (injection -> Maildir). The queue is written
# directly in qmail's format (mess, info, local; split 23) by a Python loop, so 100,000
# messages take seconds, not the minutes qmail-queue would.
# Under bench/compare.sh (BENCH_HOME, BENCH_TREE: see bench/lib.sh) it measures the given
# home. Run as root; everything runs in private mount, network and pid namespaces.
set -euo pipefail
SIZES=${*:-1000 10000 100000}
cd "$(dirname "$0")/.."
[ -n "${BENCH_HOME:-}" ] || { echo "bench/queue-size.sh: run it under bench/compare.sh" >&2; exit 100; }
BENCH_LIB=$(pwd)/bench/lib.sh
id qbench >/dev/null 2>&1 || useradd -m -s /usr/sbin/nologin qbench
root=$(mktemp -d /tmp/qmail-bench-qsize.XXXXXX)
chmod 755 "$root"
trap '[ -n "${BENCH_KEEP:-}" ] && echo "kept $root" >&2 || rm -rf "$root"' EXIT
export root SIZES BENCH_LIB
unshare -m -n -p -f --mount-proc --propagation private -- bash -euo pipefail -c '
. "$BENCH_LIB"
ip link set lo up
bench_home "$root/q"
echo bench.example > "$Q/control/locals"
uid=$(id -u qbench); gid=$(id -g qbench)
mkdir -p "$root/h/Maildir/new" "$root/h/Maildir/cur" "$root/h/Maildir/tmp"
chown -R qbench: "$root/h"
printf "=qbench:qbench:%s:%s:%s:::\n.\n" "$uid" "$gid" "$root/h" > "$Q/users/assign"
"$Q/bin/qmail-newu"
printf "Subject: probe\n\nx\n" > "$root/msg"
printf "Fbench@bench.example\0Tqbench@bench.example\0\0" > "$root/env"
# fill N: N messages in qmail'"'"'s format, local due in a day (the mtime of local/)
fill() {
  python3 - "$Q/queue" "$1" <<EOF
import os, sys, pwd, time
q, n = sys.argv[1], int(sys.argv[2])
qq, qs = pwd.getpwnam("qmailq"), pwd.getpwnam("qmails")
later = time.time() + 86400
for i in range(n):
    tmp = f"{q}/pid/fill.{i}"
    with open(tmp, "wb") as f:
        f.write(b"Subject: queued\n\nx\n")
    ino = os.stat(tmp).st_ino
    s = ino % 23
    m = f"{q}/mess/{s}/{ino}"
    os.rename(tmp, m); os.chown(m, qq.pw_uid, qq.pw_gid)
    for d, data in (("info", b"Fbench@bench.example\0"), ("local", b"Tnobody@bench.example\0")):
        p = f"{q}/{d}/{s}/{ino}"
        with open(p, "wb") as f:
            f.write(data)
        os.chown(p, qs.pw_uid, qs.pw_gid)
    os.utime(f"{q}/local/{s}/{ino}", (later, later))
EOF
}
have=0
for n in $SIZES; do
  fill $(( n - have )); have=$n
  find "$root/h/Maildir/new" -type f -delete
  # a new message queued while qmail-send is stopped: delivered once the start-up scan is done
  "$Q/bin/qmail-queue" < "$root/msg" 1< "$root/env"
  t0=$(now_ms)
  (cd / && exec env - PATH="$Q/bin:/usr/bin:/bin" qmail-start ./Maildir/ > "$root/send.$n.log" 2>&1) &
  send=$!
  while [ -z "$(ls "$root/h/Maildir/new")" ]; do sleep 0.02; done
  t1=$(now_ms)
  rss=$(awk "/VmRSS/ { print \$2 }" /proc/$send/status)
  find "$root/h/Maildir/new" -type f -delete
  sleep 1
  t2=$(now_ms)
  "$Q/bin/qmail-queue" < "$root/msg" 1< "$root/env"
  while [ -z "$(ls "$root/h/Maildir/new")" ]; do sleep 0.02; done
  t3=$(now_ms)
  kill "$send" || true; wait "$send" 2>/dev/null || true
  echo "$Q: $n queued: start-up to first delivery $(( t1 - t0 )) ms, qmail-send RSS $rss KiB, a new message then $(( t3 - t2 )) ms"
  metric "startup_${n}" $(( t1 - t0 )) ms lower
  metric "rss_${n}" "$rss" KiB lower
  metric "new_msg_${n}" $(( t3 - t2 )) ms lower
done
'
