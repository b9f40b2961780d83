#!/bin/sh
# bench/fuzz-long.sh [minutes] [target...]: the nightly-style fuzz run. Every target (or the
# ones named) for MINUTES minutes each (default 10), through fuzz/smoke.sh, so the corpus in
# fuzz/corpus/ keeps growing from run to run; the per-target lines (executions, corpus
# files, coverage) go to stdout and to fuzz/long-runs.log with the date and commit.
# A crash stops nothing: every target runs, and the exit status is 1 if any failed (its
# reproducer is in fuzz/artifacts/<target>/). Needs cargo-fuzz (`cargo install cargo-fuzz`).
# With 20 targets the default takes about 3.5 hours (CI only type-checks the targets).
set -eu
min=${1:-10}
[ $# -gt 0 ] && shift
cd "$(dirname "$0")/.."
command -v cargo-fuzz >/dev/null || { echo "bench/fuzz-long.sh: needs cargo-fuzz (cargo install cargo-fuzz)" >&2; exit 111; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
sh fuzz/smoke.sh "$((min * 60))" "$@" | tee "$out" || status=1
{
  echo "== $(date -u +%Y-%m-%dT%H:%MZ) $(git rev-parse --short HEAD) ${min} min per target"
  cat "$out"
} >> fuzz/long-runs.log
exit $status
