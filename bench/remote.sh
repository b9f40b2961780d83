#!/usr/bin/env bash
# bench/remote.sh N C: N 1 KiB messages to a remote domain, routed by smtproutes to
# Postfix's smtp-sink on 127.0.0.1, with concurrencyremote C. Everything runs in a private
# mount and network namespace (its own /var/qmail, its own loopback), release builds.
# Two runs:
#   live:      qmail-send running, 4 parallel qmail-queue loops inject the N messages;
#              time from the first injection to the last "delivery D: success" line.
#   prefilled: qmail-send stopped, all N injected, then qmail-send started;
#              time from the start to the last success line.
# For each: messages per second, and the peak memory of all qmail processes together
# (sum of VmHWM over qmail-send and every descendant, sampled every 100 ms; the highest sum).
# Run as root from the repository root. Needs smtp-sink (apt-get install postfix; the
# postfix daemon itself is never started) and python3.
# SINK=tls: instead of smtp-sink, a Python sink (OpenSSL) offering STARTTLS with a
# certificate made by openssl, so every delivery is encrypted (qmail-remote's
# opportunistic TLS); SINK=clear: the same Python sink without STARTTLS, the fair
# baseline for SINK=tls. Each run also counts the deliveries whose report says TLS.
# Under bench/compare.sh (BENCH_SYSTEM, BENCH_HOME: see bench/lib.sh) it measures one
# installed home (qmail-rs or notqmail) and prints `metric` lines: rates, CPU per message
# of the qmail-send tree (qmail-rspawn and every qmail-remote included), peak memory, and
# the peak VmHWM of one qmail-remote. Postfix has no part here. BIN_DIR=target/release
# skips the build.
set -euo pipefail
N=${1:-4000}
C=${2:-20}
cd "$(dirname "$0")/.."
command -v smtp-sink >/dev/null || { echo "bench/remote.sh: needs smtp-sink (DEBIAN_FRONTEND=noninteractive apt-get install postfix)" >&2; exit 111; }
command -v python3 >/dev/null || { echo "bench/remote.sh: needs python3" >&2; exit 111; }
SINK=${SINK:-smtp-sink}
[ "${BENCH_SYSTEM:-qmail}" = qmail ] || { echo "bench/remote.sh: measures qmail homes only" >&2; exit 100; }
if [ -z "${BENCH_HOME:-}" ] && [ -z "${BIN_DIR:-}" ]; then
  cargo build --release -q -p qmail-setup -p qmail-queue -p qmail-send -p qmail-start -p qmail-lspawn \
    -p qmail-rspawn -p qmail-remote -p qmail-clean -p qmail-local -p qmail-getpw -p qmail-todo
  BIN_DIR=${CARGO_TARGET_DIR:-target}/release
fi
BIN_DIR=$(cd "${BIN_DIR:-.}" && pwd)
BENCH_LIB=$(pwd)/bench/lib.sh
root=$(mktemp -d /tmp/qmail-bench-remote.XXXXXX)
chmod 755 "$root"
work=$root.work
mkdir -p "$work"
trap 'rm -rf "$root"; [ -n "${BENCH_KEEP:-}" ] && echo "logs kept in $work" >&2 || rm -rf "$work"' EXIT
mkdir -p /var/qmail

# Timestamps each log line as it arrives (qmail-send's log has none).
cat > "$work/ts.py" <<'EOF'
import sys, time
out = sys.stdout
for line in sys.stdin:
    out.write("%.6f %s" % (time.time(), line))
    out.flush()
EOF
# Peak of the summed VmHWM of a process and all its descendants, until a stop file exists.
cat > "$work/mem.py" <<'EOF'
import os, sys, time
top, out, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def children(p):
    kids = []
    try:
        for t in os.listdir("/proc/%d/task" % p):
            with open("/proc/%d/task/%s/children" % (p, t)) as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return kids
peak, remote = (0, 0), 0
while not os.path.exists(stop):
    todo, total, n = [top], 0, 0
    while todo:
        p = todo.pop()
        try:
            with open("/proc/%d/status" % p) as f:
                name = ""
                for line in f:
                    if line.startswith("Name:"):
                        name = line.split()[1]
                    if line.startswith("VmHWM:"):
                        kb = int(line.split()[1]); total += kb; n += 1
                        if name == "qmail-remote":
                            remote = max(remote, kb)
        except OSError:
            continue
        todo += children(p)
    peak = max(peak, (total, n))
    time.sleep(0.1)
with open(out, "w") as f:
    f.write("%d %d %d\n" % (peak[0], peak[1], remote))
EOF

# A threaded SMTP sink with STARTTLS (argv: port, cert, key, tls|clear).
cat > "$work/sink.py" <<'EOF'
import socket, ssl, sys, threading
port, cert, key, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
def serve(c):
    f = c.makefile('rb'); tls = False
    c.sendall(b'220 sink ESMTP\r\n')
    while True:
        line = f.readline()
        if not line:
            break
        u = line[:4].upper()
        if u == b'EHLO':
            ext = b'250-sink\r\n250-PIPELINING\r\n'
            if mode == 'tls' and not tls:
                ext += b'250-STARTTLS\r\n'
            c.sendall(ext + b'250 8BITMIME\r\n')
        elif u == b'STAR' and mode == 'tls':
            c.sendall(b'220 go\r\n')
            c = ctx.wrap_socket(c, server_side=True); f = c.makefile('rb'); tls = True
        elif u == b'DATA':
            c.sendall(b'354 go\r\n')
            while True:
                l = f.readline()
                if not l or l == b'.\r\n':
                    break
            c.sendall(b'250 ok\r\n')
        elif u == b'QUIT':
            c.sendall(b'221 bye\r\n'); break
        else:
            c.sendall(b'250 ok\r\n')
    c.close()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', port)); s.listen(128)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
if [ "$SINK" != smtp-sink ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=sink \
    -keyout "$work/sink.key" -out "$work/sink.pem" 2>/dev/null
fi

export root work N C SINK BIN_DIR BENCH_LIB
unshare -m -n --propagation private -- bash ${BENCH_TRACE:+-x} -euo pipefail -c '
. "$BENCH_LIB"
ip link set lo up
bench_home "$root"
cd "$Q"
echo bench.local > control/me
echo bench.local > control/locals
echo "$C" > control/concurrencyremote
echo "remote.example:127.0.0.1:25" > control/smtproutes
msg=$work/msg; env=$work/env
{ printf "From: bench@bench.local\nTo: rcpt@remote.example\nSubject: bench\n\n"; head -c 2000 /dev/zero | tr "\0" "x" | fold -w 72; } | head -c 1023 > "$msg"
echo >> "$msg"
printf "Fbench@bench.local\0Trcpt@remote.example\0\0" > "$env"

if [ "$SINK" = smtp-sink ]; then
  smtp-sink -u nobody 127.0.0.1:25 1024 &
else
  python3 "$work/sink.py" 25 "$work/sink.pem" "$work/sink.key" "$SINK" &
fi
sink=$!
for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/25) 2>/dev/null && break; sleep 0.1; done

inject() { # N messages from 4 parallel qmail-queue loops
  local per=$(( N / 4 )) extra=$(( N % 4 )) pids=""
  for p in 1 2 3 4; do
    local k=$per; [ "$p" = 1 ] && k=$(( per + extra ))
    ( for i in $(seq "$k"); do bin/qmail-queue < "$msg" 1< "$env" || echo "qmail-queue failed: $?" >&2; done ) &
    pids="$pids $!"
  done
  wait $pids # not a bare wait: qmail-send, smtp-sink and the sampler are children too
}

queued() { find queue/mess -type f | wc -l; }

phase() { # $1 = live | prefilled
  local mode=$1 log=$work/$1.log t0
  if [ "$mode" = prefilled ]; then
    inject
    echo "prefilled: $(queued) messages queued"
  fi
  : > "$log"
  [ "$mode" = prefilled ] && t0=$(date +%s.%N)
  env - PATH="$Q/bin:/usr/bin:/bin" qmail-start ./Maildir/ > >(python3 "$work/ts.py" > "$log") 2>&1 &
  local send=$!
  rm -f "$work/stop"
  python3 "$work/mem.py" "$send" "$work/$mode.mem" "$work/stop" &
  local sampler=$!
  for i in $(seq 200); do grep -q "status: local" "$log" && break; sleep 0.05; done
  if ! grep -q "status: local" "$log"; then
    echo "bench/remote.sh: qmail-send did not start:" >&2; cat "$log" >&2; exit 111
  fi
  if [ "$mode" = live ]; then
    t0=$(date +%s.%N)
    inject
  fi
  local n=0
  for i in $(seq 6000); do
    n=$(grep -c ": success: " "$log" || true)
    [ "$n" -ge "$N" ] && break
    sleep 0.1
  done
  for i in $(seq 100); do [ "$(queued)" = 0 ] && break; sleep 0.1; done
  local ticks
  ticks=$(tree_ticks "$send")
  touch "$work/stop"; wait "$sampler"
  local hwm_send
  hwm_send=$(awk "/VmHWM/ { print \$2 }" /proc/$send/status)
  kill -TERM "$send"; wait "$send" || true
  local fails defers
  fails=$(grep -c ": failure: " "$log" || true)
  defers=$(grep -c ": deferral: " "$log" || true)
  awk -v t0="$t0" -v n="$N" -v mode="$mode" -v c="$C" -v got="$n" -v f="$fails" -v d="$defers" "
    / success: / { if (\$1 > last) last = \$1 }
    END {
      printf \"%s: %d of %d delivered (%d failures, %d deferrals), C=%d, %.2f s, %.1f messages/second\n\", mode, got, n, f, d, c, last - t0, got / (last - t0)
      printf \"metric %s_rate %.1f msg/s higher\n\", mode, got / (last - t0)
    }" "$log"
  local peak procs remote tls
  read -r peak procs remote < "$work/$mode.mem"
  tls=$(grep -c "/TLS:_TLSv1" "$log" || true)
  echo "$mode: peak memory of all qmail processes together: $peak KiB (sum of VmHWM over $procs processes); qmail-send alone: $hwm_send KiB; one qmail-remote at most: $remote KiB"
  echo "$mode: CPU of the qmail-send tree: $(ms_per_msg "$ticks" "$N") ms/message"
  echo "$mode: sink $SINK; deliveries whose report says TLS: $tls"
  metric "${mode}_cpu_per_msg" "$(ms_per_msg "$ticks" "$N")" ms lower
  metric "${mode}_peak_mem" "$peak" KiB lower
  metric "${mode}_remote_hwm" "$remote" KiB lower
  metric "${mode}_tls_deliveries" "$tls" count higher
}

phase live
phase prefilled
kill "$sink"; wait "$sink" 2>/dev/null || true
'
