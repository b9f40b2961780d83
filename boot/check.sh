#!/bin/sh
# Check the example start scripts and service files in this directory:
#   - every shell script parses (sh -n) and starts with #!/bin/sh;
#   - with @QMAILHOME@ filled in and a fake qmail-start, each boot script runs
#     qmail-start with exactly the documented arguments and only PATH set;
#   - the systemd units pass `systemd-analyze verify` (skipped, with a note on
#     stderr, when systemd-analyze is not installed).
# Prints one line per failure and exits 1 if there was any, else 0.
# Usage: boot/check.sh [boot-directory]

dir=${1:-`dirname "$0"`}
fail=0
bad() { echo "FAIL: $*"; fail=1; }

tmp=`mktemp -d /tmp/boot-check.XXXXXX` || exit 111
trap 'rm -rf "$tmp"' 0

scripts="home home+df proc proc+df binm1 binm1+df binm2 binm2+df binm3 binm3+df
daemontools/qmail-send/run daemontools/qmail-send/log/run
daemontools/qmail-smtpd/run daemontools/qmail-smtpd/log/run"

for s in $scripts; do
  f="$dir/$s"
  [ -f "$f" ] || { bad "$s: missing"; continue; }
  [ -x "$f" ] || bad "$s: not executable"
  [ "`head -n 1 "$f"`" = '#!/bin/sh' ] || bad "$s: first line is not #!/bin/sh"
  sh -n "$f" || bad "$s: sh -n"
done

# A fake qmail home whose qmail-start prints its arguments (one per line,
# between [ ]) and its environment.
home="$tmp/qmail"
mkdir -p "$home/bin" "$home/control"
cat > "$home/bin/qmail-start" <<'FAKE'
#!/bin/sh
for a in "$@"; do printf '[%s]\n' "$a"; done
env | grep -v -e '^PWD=' -e '^SHLVL=' -e '^_=' | sort
FAKE
cp "$home/bin/qmail-start" "$home/bin/tcp-env"
cp "$home/bin/qmail-start" "$home/bin/qmail-smtpd"
chmod 755 "$home/bin/"*

expect() { # script, expected output
  sed "s|@QMAILHOME@|$home|g" "$dir/$1" > "$tmp/script"
  got=`PATH=/usr/bin:/bin FOO=leak sh "$tmp/script"`
  [ "$got" = "$2" ] || bad "$1: qmail-start got:
$got
expected:
$2"
}

p="PATH=$home/bin:/usr/bin:/bin"
df='|dot-forward .forward'
m1='|preline -f /usr/libexec/mail.local -r "${SENDER:-MAILER-DAEMON}" -d "$USER"'
m2='|preline -f /bin/mail -r "${SENDER:-MAILER-DAEMON}" -d "$USER"'
m3='|preline -f /bin/mail -f "${SENDER:-MAILER-DAEMON}" -d "$USER"'
log='[splogger]
[qmail]'
nl='
'
expect home "[./Mailbox]$nl$log$nl$p"
expect home+df "[$df${nl}./Mailbox]$nl$log$nl$p"
expect proc "[|preline procmail]$nl$log$nl$p"
expect proc+df "[$df$nl|preline procmail]$nl$log$nl$p"
expect binm1 "[$m1]$nl$log$nl$p"
expect binm1+df "[$df$nl$m1]$nl$log$nl$p"
expect binm2 "[$m2]$nl$log$nl$p"
expect binm2+df "[$df$nl$m2]$nl$log$nl$p"
expect binm3 "[$m3]$nl$log$nl$p"
expect binm3+df "[$df$nl$m3]$nl$log$nl$p"
expect daemontools/qmail-send/run "[./Maildir/]$nl$p"

if command -v systemd-analyze >/dev/null 2>&1; then
  mkdir "$tmp/units"
  for u in "$dir"/systemd/*; do
    sed "s|@QMAILHOME@|$home|g" "$u" > "$tmp/units/`basename "$u"`"
  done
  out=`cd "$tmp/units" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no \
    ./qmail-send.service ./qmail-smtpd.socket ./qmail-smtpd@.service 2>&1`
  status=$?
  # verify also reports on unrelated units of the host; keep only ours.
  mine=`printf '%s\n' "$out" | grep qmail`
  if [ $status -ne 0 ] || [ -n "$mine" ]; then
    bad "systemd-analyze verify: $out"
  fi
else
  echo "note: systemd-analyze not installed; units not verified" >&2
fi

exit $fail
