#!/bin/sh
# Run every fuzz target (or the ones named) for N seconds each (default 20) and print, per
# target, libFuzzer's execution count, the corpus size (files in corpus/<target>/, which
# persists between runs) and the coverage (libFuzzer's `cov:` edges).
# cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP=1 lets the stable toolchain use them.
# Usage: fuzz/smoke.sh [seconds] [target...]
set -eu
secs=${1:-20}
[ $# -gt 0 ] && shift
cd "$(dirname "$0")"
RUSTC_BOOTSTRAP=1 cargo fuzz build -O
targets=${*:-$(RUSTC_BOOTSTRAP=1 cargo fuzz list)}
status=0
for t in $targets; do
  mkdir -p "corpus/$t"
  log=$(mktemp)
  if RUSTC_BOOTSTRAP=1 cargo fuzz run -O "$t" -- -max_total_time="$secs" >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ -z "$execs" ]; then
      execs=$(grep -o 'Done [0-9]* runs' "$log" | tail -1 | tr -dc 0-9)
    fi
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | tr -dc 0-9)
    files=$(find "corpus/$t" -type f | wc -l)
    echo "$t: ok, ${execs:-?} executions in ${secs}s, corpus $files files, cov ${cov:-?}"
  else
    echo "$t: FAILED (log follows)"
    tail -40 "$log"
    status=1
  fi
  rm -f "$log"
done
exit $status
