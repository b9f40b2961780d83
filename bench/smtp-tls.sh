#!/usr/bin/env bash
# bench/smtp-tls.sh N S: N SMTP sessions with STARTTLS, one 1 KiB message each, from S
# parallel clients (Python's smtplib and ssl, one handshake per session, no resumption):
# first against tcpserver + qmail-tlsd + qmail-smtpd (qmail-rs release build, installed in
# a private /var/qmail) with qmail-send delivering to a Maildir, then against Postfix with
# smtpd_tls_security_level = may delivering to a Maildir (virtual(8)), the same client and
# the same kind of certificate (ECDSA P-256, self-signed) in the same run. Prints TLS
# sessions per second (all clients finished; each session carries one message, so it is
# also messages per second accepted), messages per second end to end (all N in the
# Maildir), CPU milliseconds per message of the MTA's processes (tcpserver or Postfix's
# master and everything they started; the clients not counted) and qmail-tlsd's peak
# memory. Under bench/compare.sh (BENCH_SYSTEM, BENCH_HOME: see bench/lib.sh) it measures
# one system.
#
# Everything runs in private mount, network and pid namespaces, as bench/smtp-in.sh. Run
# as root. BIN_DIR=target/release skips the build.
set -euo pipefail
N=${1:-2000}
S=${2:-8}
cd "$(dirname "$0")/.."
for t in tcpserver postfix postconf unshare openssl python3; do
  command -v "$t" >/dev/null || { echo "bench/smtp-tls.sh: needs $t" >&2; exit 111; }
done
[ -x /usr/bin/time ] || { echo "bench/smtp-tls.sh: needs GNU time (apt-get install time)" >&2; exit 111; }
if [ -z "${BENCH_HOME:-}" ] && [ -z "${BIN_DIR:-}" ]; then
  cargo build --release -q -p qmail-setup -p qmail-smtpd -p qmail-tlsd -p qmail-queue \
    -p qmail-start -p qmail-send -p qmail-lspawn -p qmail-rspawn -p qmail-clean -p qmail-local \
    -p qmail-getpw -p qmail-todo -p qmail-remote
  BIN_DIR=${CARGO_TARGET_DIR:-target}/release
fi
BIN_DIR=$(cd "${BIN_DIR:-.}" && pwd)
BENCH_LIB=$(pwd)/bench/lib.sh
root=$(mktemp -d /tmp/qmail-smtp-tls.XXXXXX)
chmod 755 "$root"
trap '[ -n "${BENCH_KEEP:-}" ] && echo "kept $root" >&2 || rm -rf "$root"' EXIT
mkdir -p /var/qmail
# The client: S processes, N sessions in all; prints the milliseconds they took.
cat > "$root/client.py" <<'EOF'
import smtplib, ssl, sys, time
from multiprocessing import Pool
N, S = int(sys.argv[1]), int(sys.argv[2])
MSG = b"Subject: bench\r\n\r\n" + (b"x" * 78 + b"\r\n") * 12
def work(n):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    for _ in range(n):
        s = smtplib.SMTP("127.0.0.1", 25, local_hostname="client.example")
        s.starttls(context=ctx)
        s.sendmail("sender@client.example", ["bench@bench.example"], MSG)
        s.quit()
    return n
shares = [N // S + (1 if i < N % S else 0) for i in range(S)]
with Pool(S) as p:
    p.map(work, [1] * S)  # warm up: the processes exist, the modules are loaded
    t = time.monotonic()
    done = sum(p.map(work, shares))
    print(int((time.monotonic() - t) * 1000))
assert done == N
EOF
# Both sides get the same kind of certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=bench.example -keyout "$root/key.pem" -out "$root/cert.pem" 2>/dev/null
export root N S BIN_DIR BENCH_LIB
unshare -m -n -p -f --mount-proc --propagation private -- bash -euo pipefail -c '
${TRACE:+set -x}
. "$BENCH_LIB"
ip link set lo up
count() { find "$1" -type f 2>/dev/null | wc -l; }
wait_count() { # DIR N SECS: until DIR holds N files (SECS without progress: failure)
  local have last=-1 since
  since=$(date +%s)
  while have=$(count "$1"); [ "$have" -lt "$2" ]; do
    [ "$have" = "$last" ] || { last=$have; since=$(date +%s); }
    [ $(( $(date +%s) - since )) -lt "$3" ] || { echo "bench/smtp-tls.sh: only $have of $2 messages in $1" >&2; return 1; }
    sleep 0.05
  done
  now_ms
}
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/25) 2>/dev/null && return 0
    sleep 0.05
  done
  echo "bench/smtp-tls.sh: nothing listens on port 25" >&2
  return 1
}
# The client warms up with S sessions of its own: they are counted in the Maildir.
total=$(( N + S ))

########## qmail-rs
if want qmail; then
bench_home "$root/qmail"
[ -x "$Q/bin/qmail-tlsd" ] || { echo "bench/smtp-tls.sh: $Q has no qmail-tlsd" >&2; exit 111; }
echo bench.example > "$Q/control/locals"
echo bench.example > "$Q/control/rcpthosts"
cat "$root/cert.pem" "$root/key.pem" > "$Q/control/servercert.pem"
chown qmailt "$Q/control/servercert.pem"
chmod 400 "$Q/control/servercert.pem"
mkdir -p "$Q/alias/Maildir/new" "$Q/alias/Maildir/cur" "$Q/alias/Maildir/tmp"
echo ./Maildir/ > "$Q/alias/.qmail-bench"
chown -R alias "$Q/alias/Maildir" "$Q/alias/.qmail-bench"
chmod 644 "$Q/alias/.qmail-bench"
(cd / && exec env - PATH="$Q/bin:/usr/bin:/bin" qmail-start ./Maildir/ > "$root/send.log" 2>&1) &
send=$!
for _ in $(seq 100); do grep -q "status: local" "$root/send.log" && break; sleep 0.05; done
# tcpserver as root: qmail-tlsd becomes qmailt and runs qmail-smtpd as qmaild.
env - PATH="$Q/bin:/usr/bin:/bin" tcpserver -R -H -l bench.example -c $(( S * 2 )) -b $(( S * 2 )) \
  127.0.0.1 25 "$Q/bin/qmail-tlsd" "$Q/bin/qmail-smtpd" 2>"$root/tcpserver.log" &
tcps=$!
wait_port
before=$(tree_ticks "$send" "$tcps")
ms=$(python3 "$root/client.py" "$N" "$S")
accepted=$(now_ms)
delivered=$(wait_count "$Q/alias/Maildir/new" "$total" 30)
for _ in $(seq 200); do [ -z "$(ls "$Q/queue/todo")" ] && [ -z "$(find "$Q/queue/mess" -type f)" ] && break; sleep 0.05; done
after=$(tree_ticks "$send" "$tcps")
start=$(( accepted - ms ))
q_ses=$(rate "$N" "$ms")
q_e2e=$(rate "$N" $(( delivered - start )))
q_cpu=$(ms_per_msg $(( after - before )) "$total")
kill "$tcps"; wait "$tcps" 2>/dev/null || true
tls=$(grep -c "qmail-tlsd: pid .*: TLSv1.3 " "$root/tcpserver.log" || true)
# peak memory: a shorter run with each qmail-tlsd under GNU time (not in the figures above:
# time itself costs about 1.4 ms of CPU a session)
: > "$root/tlsd.mem"
env - PATH="$Q/bin:/usr/bin:/bin" tcpserver -R -H -l bench.example -c $(( S * 2 )) \
  127.0.0.1 25 /usr/bin/time -a -o "$root/tlsd.mem" -f %M "$Q/bin/qmail-tlsd" "$Q/bin/qmail-smtpd" \
  2>>"$root/tcpserver.log" &
tcps=$!
wait_port
python3 "$root/client.py" 100 "$S" >/dev/null
kill "$tcps"; wait "$tcps" 2>/dev/null || true
peak=$(sort -n "$root/tlsd.mem" | tail -1)
kill "$send"; wait "$send" 2>/dev/null || true
echo "$Q: $N STARTTLS sessions ($tls TLSv1.3 logged), $S clients, 1 KiB each: $q_ses sessions/s, end to end $q_e2e msg/s; CPU $q_cpu ms/message; qmail-tlsd (with qmail-smtpd) peak memory $peak KiB"
metric tls_sessions "$q_ses" sessions/s higher
metric end_to_end "$q_e2e" msg/s higher
metric cpu_per_msg "$q_cpu" ms lower
metric tlsd_peak_rss "$peak" KiB lower
fi

########## Postfix
if want postfix; then
postfix_start "$root/postfix" bench/smtp-tls.sh <<EOF
smtpd_tls_security_level = may
smtpd_tls_cert_file = $root/cert.pem
smtpd_tls_key_file = $root/key.pem
smtpd_tls_loglevel = 1
EOF
wait_port
master=$(tr -d " " < /var/spool/postfix/pid/master.pid)
before=$(tree_ticks "$master")
ms=$(python3 "$root/client.py" "$N" "$S")
accepted=$(now_ms)
delivered=$(wait_count "$pf/mail/bench/Maildir/new" "$total" 30)
sleep 0.5
after=$(tree_ticks "$master")
start=$(( accepted - ms ))
p_ses=$(rate "$N" "$ms")
p_e2e=$(rate "$N" $(( delivered - start )))
p_cpu=$(ms_per_msg $(( after - before )) "$total")
tls=$(grep -c "Anonymous TLS connection established from" "$pf/maillog" || true)
postfix stop >/dev/null 2>&1 || true
echo "postfix: $N STARTTLS sessions ($tls TLS logged), $S clients, 1 KiB each: $p_ses sessions/s, end to end $p_e2e msg/s; CPU $p_cpu ms/message"
metric tls_sessions "$p_ses" sessions/s higher
metric end_to_end "$p_e2e" msg/s higher
metric cpu_per_msg "$p_cpu" ms lower
fi
if want qmail && want postfix; then
  awk -v a="$q_ses" -v b="$p_ses" -v c="$q_e2e" -v d="$p_e2e" "BEGIN { printf \"ratio qmail-rs/postfix: sessions %.2f, end to end %.2f\n\", a / b, c / d }"
fi
'
