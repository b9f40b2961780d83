#!/usr/bin/env bash
# bench/authres.sh [N] [ROUNDS]: what qmail-authres costs per message. It is run N times in a
# row on one message, as qmail-smtpd runs it, with AUTHRESQUEUE=/bin/true after it, for:
#   pass     RELAYCLIENT set: it only execs the next program (the baseline: two execs)
#   spf      an unsigned message: SPF of the envelope sender (one TXT lookup, ip4 match)
#   rsa2048  the same signed by dkimpy with rsa-sha256 (2048-bit key): SPF and DKIM
#   ed25519  signed with ed25519-sha256
# alternating the cases in each of ROUNDS rounds (order reversed every other round). It
# prints the median CPU (user + system, the loop's whole process tree) and wall time per
# message of each case, and the verification cost: the median minus the pass median.
# DNS comes from crates/qmail-spf/tests/dns_server.py on 127.0.0.1:53 in a private network
# namespace (its own CPU is not counted); /var/qmail is a private directory with control/me.
# Run as root. BIN_DIR=target/release skips the build.
set -euo pipefail
N=${1:-500}
ROUNDS=${2:-5}
cd "$(dirname "$0")/.."
for t in unshare ip /usr/bin/python3 openssl; do
  command -v "$t" >/dev/null || { echo "bench/authres.sh: needs $t" >&2; exit 111; }
done
[ -x /usr/bin/time ] || { echo "bench/authres.sh: needs GNU time (apt-get install time)" >&2; exit 111; }
if [ -z "${BIN_DIR:-}" ]; then
  cargo build --release -q -p qmail-authres
  BIN_DIR=${CARGO_TARGET_DIR:-target}/release
fi
BIN_DIR=$(cd "$BIN_DIR" && pwd)
root=$(mktemp -d /tmp/qmail-authres-bench.XXXXXX)
chmod 755 "$root"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/home/control" "$root/dkim" /var/qmail
echo bench.example > "$root/home/control/me"
/usr/bin/python3 crates/qmail-dkim-core/tests/dkimpy_sign.py "$root/dkim"
printf 'Fjoe@example.com\0Tbench@bench.example\0\0' > "$root/envelope"
{
  printf '{"tests": {}, "zonedata": {"example.com": [{"TXT": "v=spf1 ip4:192.0.2.1 ip4:127.0.0.1 -all"}]'
  while IFS=$'\t' read -r name txt; do printf ', "%s": [{"TXT": "%s"}]' "$name" "$txt"; done < "$root/dkim/keys"
  printf '}}\n'
} > "$root/zone.json"
cp "$root/dkim/rsa2048-plain-relaxed-relaxed.eml" "$root/rsa2048"
cp "$root/dkim/ed-plain-relaxed-relaxed.eml" "$root/ed25519"
awk 'f || /^From: / { f = 1; print }' "$root/dkim/ed-plain-relaxed-relaxed.eml" > "$root/spf"
grep -q '^From: ' "$root/spf" || { echo "bench/authres.sh: unexpected dkimpy output" >&2; exit 111; }
# qmail-smtpd's Received line on top, as qmail-authres sees mail
for m in spf rsa2048 ed25519; do
  { printf 'Received: from client.example (HELO client.example) (127.0.0.1)\n  by bench.example with SMTP; 4 Dec 2026 19:00:00 -0000\n'; cat "$root/$m"; } > "$root/$m.msg"
done
cp "$root/spf.msg" "$root/pass.msg"
printf '#!/bin/sh\ncat > %s/check\n' "$root" > "$root/save"
chmod 755 "$root/save"
export root N ROUNDS BIN_DIR
unshare -m -n -p -f --mount-proc --propagation private -- bash -euo pipefail -c '
ip link set lo up
(sleep 100000 | /usr/bin/python3 crates/qmail-spf/tests/dns_server.py "$root/zone.json" 127.0.0.1 53 > "$root/dns.out") &
for _ in $(seq 100); do grep -q READY "$root/dns.out" 2>/dev/null && break; sleep 0.05; done
echo "nameserver 127.0.0.1" > "$root/resolv.conf"
mount --bind "$root/resolv.conf" /etc/resolv.conf
mount --bind "$root/home" /var/qmail
# one check that the results are what the case says
AUTHRESQUEUE=$root/save TCPREMOTEIP=127.0.0.1 "$BIN_DIR/qmail-authres" < "$root/rsa2048.msg" 1< "$root/envelope" || true
head -3 "$root/check" | tr -d "\t" | tr "\n" " " >&2; echo >&2
grep -q "spf=pass" "$root/check" && grep -q "dkim=pass" "$root/check" || { echo "bench/authres.sh: verification did not pass" >&2; cat "$root/check" >&2; exit 111; }
run() { # CASE: prints "cpu_us wall_us" per message
  local relay=
  [ "$1" = pass ] && relay="RELAYCLIENT="
  /usr/bin/time -f "%U %S %e" -o "$root/time" env $relay AUTHRESQUEUE=/bin/true TCPREMOTEIP=127.0.0.1 \
    bash -c "for i in \$(seq $N); do \"$BIN_DIR/qmail-authres\" < \"$root/$1.msg\" 1< \"$root/envelope\"; done"
  awk -v n="$N" "{ printf \"%.0f %.0f\n\", (\$1 + \$2) * 1e6 / n, \$3 * 1e6 / n }" "$root/time"
}
cases="pass spf rsa2048 ed25519"
for r in $(seq "$ROUNDS"); do
  order=$cases
  [ $((r % 2)) = 1 ] || order=$(echo $cases | tr " " "\n" | tac | tr "\n" " ")
  for c in $order; do echo "$c $(run "$c")"; done
done > "$root/results"
median() { sort -n | awk "{ v[NR] = \$1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }"; }
base=$(awk "\$1 == \"pass\" { print \$2 }" "$root/results" | median)
echo "qmail-authres, $N messages per run, $ROUNDS rounds, $(nproc) cores, $(date -u "+%Y-%m-%d %H:%M UTC")"
for c in $cases; do
  cpu=$(awk -v c="$c" "\$1 == c { print \$2 }" "$root/results" | median)
  wall=$(awk -v c="$c" "\$1 == c { print \$3 }" "$root/results" | median)
  all=$(awk -v c="$c" "\$1 == c { printf \"%s \", \$2 }" "$root/results")
  echo "$c: CPU $cpu us/message (verification $((cpu - base)) us), wall $wall us/message; runs: $all"
done
'
