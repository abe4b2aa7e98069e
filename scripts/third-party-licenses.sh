#!/bin/sh
# third-party-licenses.sh [CACHE_DIR]
#
# Writes licenses/{libbpf,elfutils,zlib}/ from the very Debian source packages that
# build-static-deps.sh links into the addon: the upstream licence files from each orig tarball and
# Debian's machine-readable debian/copyright. Re-run it whenever a *_VERSION of
# build-static-deps.sh changes; the result is committed and shipped in the npm package.
#
# CACHE_DIR is build-static-deps.sh's cache (default: <repo>/.cache/deps-src); the sources must be
# there already (build-static-deps.sh downloads and verifies them). Needs tar, xz, bzip2, gzip.
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-$repo/.cache/deps-src}
src=$cache/src
out=$repo/licenses

# The versions (and their environment overrides) are build-static-deps.sh's own, read from it.
eval "$(grep -E '^(LIBBPF|ELFUTILS|ZLIB)_VERSION=' "$repo/scripts/build-static-deps.sh")"

upstream() { v=${1#*:}; echo "${v%-*}"; }        # Debian version -> upstream version
debian_tar() { echo "$src/$1_${2#*:}.debian.tar.xz"; }

# copy_from_orig PKG VERSION DIR_IN_TARBALL FILE... : upstream licence files, names kept
copy_from_orig() {
	pkg=$1 version=$2 top=$3; shift 3
	orig=$(ls "$src/${pkg}_$(upstream "$version").orig.tar."* 2>/dev/null | head -1)
	[ -n "$orig" ] || { echo "missing $pkg $version sources in $src (run build-static-deps.sh)" >&2; exit 1; }
	mkdir -p "$out/$pkg"
	for file in "$@"; do
		tar -xOf "$orig" "$top/$file" >"$out/$pkg/$file"
	done
	tar -xOJf "$(debian_tar "$pkg" "$version")" debian/copyright >"$out/$pkg/debian-copyright"
	echo "$pkg $version" >"$out/$pkg/VERSION"
}

rm -rf "$out"
copy_from_orig libbpf "$LIBBPF_VERSION" "libbpf-$(upstream "$LIBBPF_VERSION")" \
	LICENSE LICENSE.BSD-2-Clause LICENSE.LGPL-2.1
# libelf is "LGPL-3.0-or-later OR GPL-2.0-or-later"; the LGPL-3.0 is a set of additional
# permissions on top of the GPL-3.0 (COPYING), so its text ships too.
copy_from_orig elfutils "$ELFUTILS_VERSION" "elfutils-$(upstream "$ELFUTILS_VERSION")" \
	COPYING-LGPLV3 COPYING-GPLV2 COPYING
zlib_upstream=$(upstream "$ZLIB_VERSION")
copy_from_orig zlib "$ZLIB_VERSION" "zlib-${zlib_upstream#*really}" LICENSE
ls -R "$out"
