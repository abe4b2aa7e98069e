#!/bin/sh
# Runs a stream open/iterate/close loop (test/valgrind/stream-loop.mjs, through the built dist/
# and build/Release) under valgrind's memcheck and fails unless it reports 0 bytes definitely
# lost. Node is slow under valgrind: the default 20 cycles take a few minutes.
#
# Usage: scripts/valgrind-stream.sh [cycles]
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
cycles=${1:-20}
log=$repo/.cache/valgrind-stream.log
mkdir -p "$repo/.cache"

# --jitless: V8's generated code writes to memory valgrind cannot follow and floods the report.
valgrind --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
  --error-exitcode=99 --log-file="$log" \
  node --jitless "$repo/test/valgrind/stream-loop.mjs" "$cycles" || status=$?

grep -E 'definitely lost|ERROR SUMMARY' "$log" || true
lost=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tr -d , | tail -1)
if [ "${status:-0}" -ne 0 ] && [ "${status:-0}" -ne 99 ]; then
  echo "valgrind-stream: the workload failed (exit $status); see $log" >&2
  exit "$status"
fi
if [ "${lost:-0}" != 0 ]; then
  echo "valgrind-stream: $lost bytes definitely lost; see $log" >&2
  exit 1
fi
echo "valgrind-stream: 0 bytes definitely lost over $cycles cycles (full log: $log)"
