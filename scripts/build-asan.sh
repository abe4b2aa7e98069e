#!/bin/sh
# Builds the addon with AddressSanitizer + UBSan (binding.gyp's `sanitize` variable) in a separate
# tree, .cache/asan, so build/Release stays the normal build; then runs the native and end-to-end
# host tests against it with gcc's libasan preloaded into node (an instrumented addon cannot be
# loaded otherwise). node-gyp-build picks the sanitized addon through BPFKIT_PREBUILD.
#
# Usage: scripts/build-asan.sh [--build-only] [vitest test files...]
# Prints "asan: clean" and exits 0 when no sanitizer reported anything, else "asan: UNCLEAN".
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
tree=$repo/.cache/asan
logs=$tree/logs
build_only=0
if [ "${1:-}" = "--build-only" ]; then build_only=1; shift; fi

mkdir -p "$tree/native" "$tree/scripts" "$logs"
cp "$repo/binding.gyp" "$repo/package.json" "$tree/"
cp "$repo/scripts/static-deps-prefix.sh" "$repo/scripts/build-static-deps.sh" "$tree/scripts/"
rm -rf "$tree/native/src" "$tree/native/bpf"
cp -R "$repo/native/src" "$repo/native/bpf" "$tree/native/"
ln -sfn "$repo/node_modules" "$tree/node_modules"

gyp="$repo/node_modules/.bin/node-gyp"
export BPFKIT_DEPS_DIR="${BPFKIT_DEPS_DIR:-$repo/.cache/deps}"
(cd "$tree" && "$gyp" configure --nodedir=/usr -- -Dsanitize=1 >&2 && "$gyp" build --nodedir=/usr -j 2 >&2)
addon=$tree/build/Release/bpfkit.node
ldd "$addon" | grep -q libasan || { echo "asan: $addon is not instrumented" >&2; exit 1; }
[ "$build_only" = 1 ] && { echo "asan: built $addon"; exit 0; }

libasan=$(gcc -print-file-name=libasan.so)
[ -f "$libasan" ] || { echo "asan: gcc has no libasan.so ($libasan)" >&2; exit 1; }
rm -f "$logs"/*

if [ $# -eq 0 ]; then set -- test/native.test.ts test/event-stream.test.ts test/native-abuse.test.ts test/lifetime.test.ts; fi

# Node itself is not built with ASan: its allocations at exit are not leaks of ours, so leak
# reports are kept to stacks that pass through the addon (test/asan/lsan.supp drops the rest).
# Sanitizer reports go to per-process log files rather than stderr, which child-process tests read.
status=0
(cd "$repo" && \
  BPFKIT_PREBUILD="$tree" \
  LD_PRELOAD="$libasan" \
  ASAN_OPTIONS="detect_leaks=1:log_path=$logs/asan:abort_on_error=0:halt_on_error=1:detect_odr_violation=0" \
  LSAN_OPTIONS="suppressions=$repo/test/asan/lsan.supp:print_suppressions=0" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan" \
  BPFKIT_LIFETIME_CYCLES="${BPFKIT_LIFETIME_CYCLES:-5}" \
  node "$repo/node_modules/vitest/vitest.mjs" run "$@") || status=$?

reports=$(ls "$logs" 2>/dev/null | wc -l)
if [ "$reports" -gt 0 ]; then
  echo "asan: UNCLEAN: $reports sanitizer report(s) in $logs:" >&2
  for report in "$logs"/*; do echo "== $report" >&2; head -60 "$report" >&2; done
  exit 1
fi
if [ "$status" -ne 0 ]; then echo "asan: tests failed (exit $status) under the sanitizers" >&2; exit "$status"; fi
echo "asan: clean (no ASan/UBSan/LSan report from any process; tests: $*)"
