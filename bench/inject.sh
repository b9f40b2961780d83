#!/usr/bin/env bash
# bench/inject.sh N: N messages through `sendmail -t` (each with 20 recipients in To and
# Cc), in a private /var/qmail (mount namespace), queued to a QMAILQUEUE that reads and
# discards message and envelope; prints messages per second. Then the peak memory of
# sendmail/qmail-inject on a 50 MiB message (to show that the body is streamed).
# Run as root from anywhere. BIN_DIR=target/debug skips the release build.
set -euo pipefail
N=${1:-500}
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "bench/inject.sh: needs GNU time (apt-get install time)" >&2; exit 111; }
if [ -z "${BIN_DIR:-}" ]; then
  cargo build --release -q -p qmail-inject -p sendmail
  BIN_DIR=target/release
fi
root=$(mktemp -d /tmp/qmail-inject-bench.XXXXXX)
chmod 755 "$root"
trap 'rm -rf "$root"' EXIT
mkdir -p /var/qmail "$root/bin" "$root/control"
cp "$BIN_DIR/qmail-inject" "$BIN_DIR/sendmail" "$root/bin/"
echo bench.example > "$root/control/me"
# the queue stand-in: message from fd 0, then the envelope from fd 1, both discarded
printf '#!/bin/sh\nexec 3<&1\nexec cat - /dev/fd/3 >/dev/null\n' > "$root/discard"
chmod 755 "$root/discard"
{
  printf 'From: Bench Sender <bench@example.com>\nTo: '
  for i in $(seq 1 10); do printf 'Recipient %s <rcpt%s@example.org>, ' "$i" "$i"; done | sed 's/, $//'
  printf '\nCc: '
  for i in $(seq 11 20); do printf 'user%s, ' "$i"; done | sed 's/, $//'
  printf '\nSubject: bench\n\n'
  head -c 2000 /dev/zero | tr '\0' 'x' | fold -w 72
  printf '\n'
} > "$root/msg"
{ printf 'To: a@example.org\nSubject: big\n\n'; head -c 52428800 /dev/zero | tr '\0' 'x' | fold -w 76; } > "$root/big"
export root N
unshare -m --propagation private -- bash -euo pipefail -c '
mount --bind "$root" /var/qmail
export QMAILQUEUE=$root/discard USER=bench
start=$(date +%s%N)
for i in $(seq "$N"); do /var/qmail/bin/sendmail -t < "$root/msg"; done
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
echo "sendmail -t, 20 recipients: $N messages in ${ms} ms = $(( N * 1000 / (ms > 0 ? ms : 1) )) msgs/s"
kb=$(/usr/bin/time -f %M /var/qmail/bin/sendmail -t < "$root/big" 2>&1 >/dev/null | tail -1)
echo "50 MiB message: peak RSS ${kb} KiB"
kb=$(/usr/bin/time -f %M /var/qmail/bin/sendmail -t < "$root/msg" 2>&1 >/dev/null | tail -1)
echo "3 KiB message: peak RSS ${kb} KiB"
'
