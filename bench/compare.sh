#!/usr/bin/env bash
# bench/compare.sh [-r ROUNDS] [-s SIDE]... [-e LABEL=VAR=VALUE]... SCRIPT [ARGS...]: runs a bench/ script once per
# side per round, alternating (A B, B A, A B, ...: neither side always runs first, on a warm
# or on a busy machine), then prints for every figure the script reports the median of each
# side, the ratio of the medians (first side over each other side) and the values of every run.
# Speed is only ever a ratio measured in one such run: on a shared 2-core machine the absolute
# figures move with the load, the ratios much less.
#
# SIDE is [LABEL=]HOME[:TREE] or postfix:
#   /var/qmail, /var/notqmail    an installed qmail home (qmail-rs or notqmail)
#   before=/var/qmail:/tmp/old   the tree /tmp/old mounted at /var/qmail for the run (qmail-rs
#                                programs are built for /var/qmail: an older build kept elsewhere)
#   postfix                      Postfix, where the script has a Postfix part
# -e LABEL=VAR=VALUE sets VAR for the runs of side LABEL only (two sides may be one home run
# two ways: plain=/var/qmail authres=/var/qmail -e authres=SMTPD_ENV=QMAILQUEUE=...).
# Default sides: /var/qmail and /var/notqmail; default rounds: 3. Each run works on a private
# copy of the home (empty queue, control/me only) in private namespaces, so the installed
# homes are read, never changed. Run as root. CPU per message counts every process of the
# run's namespace (the load generator too, the same program on every side) unless the script
# says otherwise. The output of every run is kept in a directory named on the last line.
set -euo pipefail
usage() {
  echo "usage: bench/compare.sh [-r ROUNDS] [-s [LABEL=]HOME[:TREE]|postfix]... [-e LABEL=VAR=VALUE]... SCRIPT [ARGS...]" >&2
  exit 100
}
rounds=3
sides=()
side_env=()
while getopts r:s:e: o; do
  case $o in
    r) rounds=$OPTARG ;;
    s) sides+=("$OPTARG") ;;
    e) case $OPTARG in *=*=*) side_env+=("$OPTARG") ;; *) usage ;; esac ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
case $rounds in '' | *[!0-9]*) usage ;; esac
[ "$rounds" -ge 1 ] || usage
script=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
[ -f "$script" ] || { echo "bench/compare.sh: no script $script" >&2; exit 100; }
[ ${#sides[@]} -gt 0 ] || sides=(/var/qmail /var/notqmail)
[ ${#sides[@]} -ge 2 ] || { echo "bench/compare.sh: needs at least two sides" >&2; exit 100; }

labels=() homes=() trees=()
for s in "${sides[@]}"; do
  label=${s%%=*}
  [ "$label" != "$s" ] || label=
  spec=${s#*=}
  if [ "$spec" = postfix ]; then
    home=postfix tree=
    command -v postfix >/dev/null || { echo "bench/compare.sh: no postfix installed" >&2; exit 100; }
  else
    home=${spec%%:*}
    tree=${spec#*:}
    [ "$tree" != "$spec" ] || tree=
    [ -x "${tree:-$home}/bin/qmail-queue" ] || { echo "bench/compare.sh: no qmail installed in ${tree:-$home}" >&2; exit 100; }
    [ -d "$home" ] || { echo "bench/compare.sh: no directory $home to mount $tree on" >&2; exit 100; }
  fi
  [ -n "$label" ] || label=$(basename "${tree:-$home}")
  for l in "${labels[@]}"; do
    [ "$l" != "$label" ] || { echo "bench/compare.sh: two sides named $label (use LABEL=)" >&2; exit 100; }
  done
  labels+=("$label") homes+=("$home") trees+=("$tree")
done

work=$(mktemp -d /tmp/bench-compare.XXXXXX)
: > "$work/metrics"
n=${#labels[@]}
for r in $(seq "$rounds"); do
  order=$(seq 0 $((n - 1)))
  [ $((r % 2)) = 1 ] || order=$(seq $((n - 1)) -1 0)
  for i in $order; do
    label=${labels[$i]}
    out=$work/$label.$r
    extra=()
    for e in "${side_env[@]}"; do
      [ "${e%%=*}" != "$label" ] || extra+=("${e#*=}")
    done
    echo "bench/compare.sh: round $r/$rounds: $label: $(basename "$script") $*" >&2
    if [ "${homes[$i]}" = postfix ]; then
      run_side() { env "${extra[@]}" BENCH_SYSTEM=postfix bash "$script" "$@" > "$out.out" 2> "$out.err"; }
    else
      run_side() {
        env "${extra[@]}" BENCH_SYSTEM=qmail BENCH_HOME="${homes[$i]}" BENCH_TREE="${trees[$i]}" bash "$script" "$@" \
          > "$out.out" 2> "$out.err"
      }
    fi
    # A run that fails is run again once, and said so (a process exiting while
    # bench/lib.sh's tree_ticks read /proc used to end runs at once without a word).
    if ! run_side "$@"; then
      echo "bench/compare.sh: $label failed without a result; running it again" >&2
      sleep 2
      run_side "$@" || { echo "bench/compare.sh: $label failed (exit $?):" >&2; tail -20 "$out.err" >&2; exit 111; }
    fi
    grep -v '^metric ' "$out.out" | sed "s/^/  $label: /" >&2 || true
    grep '^metric ' "$out.out" | awk -v l="$label" -v r="$r" '{ print l, r, $2, $3, $4, $5 }' >> "$work/metrics"
  done
done

echo "$(basename "$script") $*: $rounds rounds, sides ${labels[*]}, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores"
awk -v labels="${labels[*]}" '
  function median(s,   v, k, m, i, j, t) {
    k = split(s, v, " ")
    for (i = 2; i <= k; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] + 0 > t + 0; j--) v[j + 1] = v[j]; v[j + 1] = t }
    m = int((k + 1) / 2)
    return k % 2 ? v[m] : (v[m] + v[m + 1]) / 2
  }
  {
    if (!($3 in seen)) { seen[$3] = 1; names[++nn] = $3; unit[$3] = $5; better[$3] = $6 }
    vals[$1, $3] = vals[$1, $3] (vals[$1, $3] == "" ? "" : " ") $4
  }
  END {
    ns = split(labels, L, " ")
    for (i = 1; i <= nn; i++) {
      m = names[i]
      line = sprintf("%-26s", m " (" unit[m] ")")
      for (s = 1; s <= ns; s++) {
        med[s] = vals[L[s], m] == "" ? "" : median(vals[L[s], m])
        line = line sprintf("  %s %s", L[s], med[s] == "" ? "-" : med[s])
      }
      for (s = 2; s <= ns; s++)
        if (med[1] != "" && med[s] != "" && med[s] + 0 != 0)
          line = line sprintf("  ratio %s/%s %.2f", L[1], L[s], med[1] / med[s])
      print line "  (" better[m] " is better)"
      for (s = 1; s <= ns; s++) printf "    %s: %s\n", L[s], vals[L[s], m]
    }
  }' "$work/metrics"
echo "runs kept in $work"
