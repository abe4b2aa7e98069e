#!/bin/sh
# prebuild.sh: builds prebuilds/linux-x64/bpfkit.node (Node-API, stripped) for the running Node with
# prebuildify, then fails if the binary needs a newer glibc than Node 20's own floor (2.28), which
# native/src/glibc_compat.cc keeps it under when built on a newer distribution.
#
# The build runs in a staging copy (.cache/prebuild-stage), so build/ of the working tree, which
# tests may be loading at the same time, is left alone.
set -eu
cd "$(dirname "$0")/.."
repo=$PWD
stage=$repo/.cache/prebuild-stage
export BPFKIT_DEPS_DIR="${BPFKIT_DEPS_DIR:-$repo/.cache/deps}"

rm -rf "$stage"
mkdir -p "$stage/scripts"
cp -R package.json binding.gyp native "$stage/"
cp scripts/static-deps-prefix.sh scripts/build-static-deps.sh "$stage/scripts/"
ln -s "$repo/node_modules" "$stage/node_modules"

# node-gyp takes the headers from the running node's prefix (/usr/include/node for Debian's and
# NodeSource's packages, <prefix>/include/node for official tarballs): nothing is downloaded.
nodedir=$(node -p "require('node:path').resolve(process.execPath, '../..')")
(cd "$stage" && npm_config_nodedir=$nodedir prebuildify --napi --strip --target="$(node -p process.versions.node)")

rm -rf prebuilds
mv "$stage/prebuilds" prebuilds
rm -rf "$stage"
node scripts/glibc-floor.mjs prebuilds/linux-x64/*.node --max 2.28
