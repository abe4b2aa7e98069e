#!/bin/sh
# Builds the addon with AddressSanitizer + UBSan (binding.gyp's `sanitize` variable) in a separate
# tree, .cache/asan, so build/Release stays the normal build; then runs the native and end-to-end
# host tests against it with gcc's libasan preloaded into node (an instrumented addon cannot be
# loaded otherwise). node-gyp-build picks the sanitized addon through BPFKIT_PREBUILD.
#
# Usage: scripts/build-asan.sh [--build-only] [vitest test files...]
# Prints "asan: clean" and exits 0 when no sanitizer reported anything of the addon's, else
# "asan: UNCLEAN" with the reports.
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
tree=$repo/.cache/asan
logs=$tree/logs
build_only=0
if [ "${1:-}" = "--build-only" ]; then build_only=1; shift; fi

mkdir -p "$tree/native" "$tree/scripts" "$logs"
cp -p "$repo/binding.gyp" "$repo/package.json" "$tree/"
cp -p "$repo/scripts/static-deps-prefix.sh" "$repo/scripts/build-static-deps.sh" "$tree/scripts/"
rm -rf "$tree/native/src" "$tree/native/bpf"
cp -Rp "$repo/native/src" "$repo/native/bpf" "$tree/native/"
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

# Sanitizer reports go to per-process log files rather than stderr, which child-process tests
# read; LeakSanitizer does not change exit codes (tests assert them): scripts/asan-triage.mjs
# decides which reports are the addon's.
status=0
(cd "$repo" && \
  BPFKIT_PREBUILD="$tree" \
  LD_PRELOAD="$libasan" \
  ASAN_OPTIONS="detect_leaks=1:log_path=$logs/asan:halt_on_error=1:detect_odr_violation=0" \
  LSAN_OPTIONS="exitcode=0" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan" \
  BPFKIT_LIFETIME_CYCLES="${BPFKIT_LIFETIME_CYCLES:-5}" \
  node "$repo/node_modules/vitest/vitest.mjs" run "$@") || status=$?

if ! node "$repo/scripts/asan-triage.mjs" "$logs"; then
  echo "asan: UNCLEAN (logs in $logs)" >&2
  exit 1
fi
if [ "$status" -ne 0 ]; then echo "asan: tests failed (exit $status) under the sanitizers" >&2; exit "$status"; fi
echo "asan: clean (no ASan/UBSan error and no leak allocated by the addon; tests: $*)"
