#!/bin/sh
# Prints the prefix that holds the PIC static archives of libbpf, libelf and zlib, building them
# first when they are missing. binding.gyp reads this script's stdout, so the build's own output
# goes to stderr.
#
# BPFKIT_DEPS_DIR overrides the prefix (default: <repo>/.cache/deps), BPFKIT_DEPS_SRC the cache of
# downloaded source packages (default: <repo>/.cache/deps-src).
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
prefix=${BPFKIT_DEPS_DIR:-$repo/.cache/deps}

for file in lib/libbpf.a lib/libelf.a lib/libz.a include/bpf/libbpf.h; do
  if [ ! -f "$prefix/$file" ]; then
    "$repo/scripts/build-static-deps.sh" "$prefix" "${BPFKIT_DEPS_SRC:-$repo/.cache/deps-src}" >&2
    break
  fi
done

# gyp pastes the prefix into linker arguments, which must not depend on the working directory.
(cd "$prefix" && pwd)
