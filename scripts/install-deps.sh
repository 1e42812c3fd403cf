#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages tsync needs to build, test and run its demo,
# skipping those already installed. Uses sudo when not run as root.
#
#   scripts/install-deps.sh                 build, test, demo, package
#   scripts/install-deps.sh --with-fuzzer   and clang for the fuzzer
#   scripts/install-deps.sh --bench         and gnuplot for bench/run.sh's plot
set -euo pipefail

# time: GNU time, whose peak RSS the benchmark reports (its smoke run is a test)
packages=(cmake g++ make pkg-config sqlite3 curl time openssl
          libsqlite3-dev libsqlitecpp-dev libcurl4-openssl-dev rapidjson-dev
          doctest-dev libcpp-httplib-dev libcli11-dev
          # the manual pages (go-md2man, 1.8 MB, turns docs/man/tsync.1.md into them), the .deb
          # (cpack needs dpkg-shlibdeps and file for its Depends) and its test
          # (man, systemd-analyze, lintian)
          go-md2man dpkg-dev file man-db systemd lintian)
for option in "$@"; do
  case "$option" in
    --with-fuzzer) packages+=(clang libclang-rt-dev) ;;
    # the benchmark's scaling plot (gnuplot without X11) besides GNU time above
    --bench) packages+=(gnuplot-nox) ;;
    *) echo "install-deps: unknown option $option (--with-fuzzer, --bench)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
