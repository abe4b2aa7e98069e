#!/bin/sh
# Installs everything bpfkit needs on a fresh Debian 12 machine, then builds it.
# Idempotent: with warm caches (.cache/) it downloads nothing.
set -eu
cd "$(dirname "$0")/.."

packages="gcc g++ make python3 libc6-dev dpkg-dev binutils debian-archive-keyring xz-utils bzip2
  clang-16 llvm-16 bpftool iproute2 util-linux libcap2-bin qemu-system-x86 zstd busybox-static
  linux-perf valgrind"
missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	mkdir -p .cache
	# quiet unless it fails, then the end of apt's own account says why
	if ! { apt-get update -q && apt-get install -y -q --no-install-recommends $missing; } >.cache/apt.log 2>&1; then
		tail -30 .cache/apt.log >&2
		echo "setup: apt-get failed (full log: .cache/apt.log)" >&2
		exit 1
	fi
fi

export BPFKIT_DEPS_DIR="${BPFKIT_DEPS_DIR:-$PWD/.cache/deps}"
scripts/build-static-deps.sh "$BPFKIT_DEPS_DIR" "$PWD/.cache/deps-src"

# --ignore-scripts: our own install script would build the addon here, and `npm run build:all` builds it next
[ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --ignore-scripts --no-audit --no-fund
npm run build:all
