#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the Debian package tsync_<version>_<arch>.deb: a Release build of tsync,
# tsync-mock-api, their manual pages and the changelog, installed under /usr and
# packed by cpack (cmake/install.cmake says what goes where). Prints the
# package's path. Options after the folder go to cmake, e.g. the Maintainer field:
#   scripts/package.sh [build-folder [-DTSYNC_MAINTAINER="Name <address>"]]
#                                              (default folder: build-deb)
#   sudo apt-get install ./build-deb/tsync_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-deb}
shift || true

scripts/install-deps.sh >&2
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
  -DTSYNC_TESTS=OFF "$@" >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null
for built in man/tsync.1.gz man/tsync-mock-api.1.gz debian/changelog.gz; do
  [ -f "$build/$built" ] || { echo "package: $build/$built was not built" >&2; exit 1; }
done
log=$(cd "$build" && cpack -G DEB)
deb=$(sed -n 's/^CPack: - package: \(.*\.deb\) generated\.$/\1/p' <<<"$log")
[ -f "$deb" ] || { echo "$log" >&2; echo "package: cpack made no .deb" >&2; exit 1; }
echo "$deb"
