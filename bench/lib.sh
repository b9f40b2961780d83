# bench/lib.sh: shell functions shared by the bench/ scripts, sourced inside their private
# namespaces. bench/compare.sh sets, for each run:
#   BENCH_SYSTEM  qmail | postfix   which system the run measures (unset: the script's own
#                 choice, usually qmail-rs built from BIN_DIR and then Postfix)
#   BENCH_HOME    the installed qmail home to measure (/var/qmail, /var/notqmail, ...)
#   BENCH_TREE    optional: a tree to mount at BENCH_HOME instead of BENCH_HOME itself
#                 (an older install of qmail-rs, built for /var/qmail, kept elsewhere)
# Every figure is printed twice: for people, and as a line `metric NAME VALUE UNIT BETTER`
# (BETTER is higher or lower) that bench/compare.sh collects.

# want SYSTEM: does this run measure SYSTEM (qmail or postfix)?
want() {
  case "${BENCH_SYSTEM:-all}" in
    all | "$1") return 0 ;;
    *) return 1 ;;
  esac
}

# metric NAME VALUE UNIT BETTER
metric() { echo "metric $1 $2 $3 $4"; }

# bench_home DIR: makes $Q the qmail home under test, private to this mount namespace: DIR
# (empty) is mounted over it. With BENCH_HOME, DIR gets a copy of the installed home (or of
# BENCH_TREE) with an empty queue, only control/me and users/uids, so every system starts from the same
# configuration; without it, qmail-setup installs the programs of BIN_DIR at /var/qmail.
bench_home() {
  local dir=$1
  mkdir -p "$dir"
  if [ -n "${BENCH_HOME:-}" ]; then
    Q=$BENCH_HOME
    cp -a "${BENCH_TREE:-$BENCH_HOME}/." "$dir/"
    find "$dir/queue" -mindepth 2 ! -type d ! -path "$dir/queue/lock/*" -delete
    # users/uids stays: it is installation (qmail-queue names its caller from it), not a
    # site's configuration
    find "$dir/control" "$dir/users" "$dir/alias" -mindepth 1 -maxdepth 1 ! -type d ! -path "$dir/users/uids" -delete
    echo bench.example > "$dir/control/me"
    mount --bind "$dir" "$Q"
    # qmail-getpw finds the alias user's home in the passwd file, where it is qmail-rs's
    # /var/qmail/alias: another home mounts its own alias directory there
    local ahome
    ahome=$(getent passwd alias | cut -d: -f6)
    if [ -d "$ahome" ] && [ "$ahome" != "$Q/alias" ]; then mount --bind "$Q/alias" "$ahome"; fi
  else
    Q=/var/qmail
    mkdir -p "$dir/control"
    echo bench.example > "$dir/control/me"
    mount --bind "$dir" /var/qmail
    "$BIN_DIR/qmail-setup" --bindir "$BIN_DIR" --srcdir . >/dev/null
  fi
}

# tree_ticks PID...: CPU clock ticks (user + system) used so far by the processes PID and
# their descendants, live or reaped (a process's own time plus what it collected from the
# children it reaped).
tree_ticks() {
  # cat, not awk, opens the files: a process may exit between the glob and the open, and
  # then cat exits 1, which under pipefail and set -e ended the whole run without a word
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v roots="$*" '
    {
      pid = $1; line = $0; sub(/^.*\) /, "", line); split(line, f, " ")
      ppid[pid] = f[2]; t[pid] = f[12] + f[13] + f[14] + f[15]
    }
    END {
      n = split(roots, r, " "); for (i = 1; i <= n; i++) root[r[i]] = 1
      for (p in t) { q = p; while (q != "" && q != 0 && !(q in root)) q = ppid[q]; if (q in root) s += t[p] }
      print s + 0
    }'
}

# secs_ticks SECONDS: GNU time's seconds as clock ticks
secs_ticks() { awk -v s="$1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%d", s * hz + 0.5 }'; }

# ms_per_msg TICKS N: CPU milliseconds per message
ms_per_msg() { awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", t * 1000 / hz / n }'; }

# rate N MS: messages per second
rate() { awk -v n="$1" -v ms="$2" 'BEGIN { printf "%.1f", n * 1000 / (ms > 0 ? ms : 1) }'; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# postfix_start PF PROG: Postfix 3.7 on 127.0.0.1:25 in this (private) mount namespace, its
# configuration, queue and Maildir under PF, mail for bench.example to
# PF/mail/bench/Maildir/; main.cf lines on stdin are added (TLS). The same for every script.
postfix_start() {
  pf=$1
  mkdir -p "$pf/etc" "$pf/spool" "$pf/lib" "$pf/mail/bench/Maildir"
  cp -a /etc/postfix/. "$pf/etc/"
  mount --bind "$pf/etc" /etc/postfix
  mount --bind "$pf/spool" /var/spool/postfix
  mount --bind "$pf/lib" /var/lib/postfix
  chown postfix "$pf/lib"
  chown -R nobody:nogroup "$pf/mail"
  cat > /etc/postfix/main.cf <<EOF
compatibility_level = 3.6
myhostname = pf.bench.example
mydomain = bench.example
myorigin = \$myhostname
mydestination = localhost
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_banner = \$myhostname ESMTP
alias_maps =
alias_database =
virtual_mailbox_domains = bench.example
virtual_mailbox_base = $pf/mail
virtual_mailbox_maps = static:bench/Maildir/
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(getent group nogroup | cut -d: -f3)
virtual_minimum_uid = 1
smtputf8_enable = no
biff = no
maillog_file_prefixes = $pf
maillog_file = $pf/maillog
EOF
  cat >> /etc/postfix/main.cf
  postconf -F "*/*/chroot = n"
  postfix start >/dev/null 2>&1 || { echo "$2: postfix did not start:" >&2; cat "$pf/maillog" >&2; exit 111; }
}
