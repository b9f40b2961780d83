#!/bin/sh
# Run every fuzz target for N seconds (default 20) and print libFuzzer's execution count.
# cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP=1 lets the stable toolchain use them.
# Usage: fuzz/smoke.sh [seconds]
set -eu
secs=${1:-20}
cd "$(dirname "$0")"
RUSTC_BOOTSTRAP=1 cargo fuzz build -O
status=0
for t in $(RUSTC_BOOTSTRAP=1 cargo fuzz list); do
  mkdir -p "corpus/$t"
  log=$(mktemp)
  if RUSTC_BOOTSTRAP=1 cargo fuzz run -O "$t" -- -max_total_time="$secs" >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ -z "$execs" ]; then
      execs=$(grep -o 'Done [0-9]* runs' "$log" | tail -1 | tr -dc 0-9)
    fi
    echo "$t: ok, ${execs:-?} executions in ${secs}s"
  else
    echo "$t: FAILED (log follows)"
    tail -40 "$log"
    status=1
  fi
  rm -f "$log"
done
exit $status
