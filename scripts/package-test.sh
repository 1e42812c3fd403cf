#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian package, end to end: builds it (scripts/package.sh), runs lintian on
# it (any error or warning fails), installs it into this machine with apt-get,
# then checks what a user gets: tsync --version, the manual pages under man, the
# copyright file and the changelog, the bash completion, systemd-analyze verify on
# the units, a sync with the installed tsync against the installed mock API (as an
# unprivileged user), and that removing the package leaves nothing behind.
#   scripts/package-test.sh [build-folder]      (default: build-deb)
# Exits 77 (skipped, for ctest) when not root or without apt-get and dpkg, or
# when a tsync package is installed already (the test would replace it).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-deb}

skip() { echo "package-test: skipped: $*"; exit 77; }
fail() { echo "package-test: FAILED: $*" >&2; exit 1; }
step() { echo "== $*"; }

[ "$(id -u)" -eq 0 ] || skip "needs root to install the package"
command -v apt-get >/dev/null && command -v dpkg >/dev/null || skip "needs apt-get and dpkg"

# One package test at a time on this machine.
exec 9>/run/lock/tsync-package-test.lock
flock -w 900 9 || fail "another package test holds /run/lock/tsync-package-test.lock"
installed() { dpkg-query -W -f='${db:Status-Status}' tsync 2>/dev/null | grep -qx installed; }
installed && skip "a tsync package is installed on this machine already"

step "build the package"
deb=$(scripts/package.sh "$build")
echo "$deb"
case $(basename "$deb") in
  tsync_*_"$(dpkg --print-architecture)".deb) ;;
  *) fail "unexpected package name $deb" ;;
esac
dpkg-deb -f "$deb" Depends | grep -q 'libcurl4' || fail "Depends does not name libcurl4"
dpkg-deb -f "$deb" Depends | grep -q 'libsqlite3-0' || fail "Depends does not name libsqlite3-0"
project_version=$(sed -n 's/^project(tsync VERSION \([^ ]*\) .*/\1/p' CMakeLists.txt)
[ "$(dpkg-deb -f "$deb" Version)" = "$project_version" ] ||
  fail "the package's version is not project(VERSION)'s $project_version"

step "lintian $(basename "$deb")"
# lintian unpacks the package: as nobody, in a folder of its own.
command -v lintian >/dev/null || fail "lintian is not installed (scripts/install-deps.sh installs it)"
lint=$(mktemp -d)
cp "$deb" "$lint/"
chown -R nobody:nogroup "$lint"
# --fail-on error,warning: a tag of either kind fails the test. A tag accepted
# for a reason goes into the package's lintian overrides, with that reason.
# From inside that folder: nobody may not enter the one the test runs in (a clone
# in a private temporary folder, say), and lintian goes back to it.
(cd "$lint" && setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$lint" \
  TMPDIR="$lint" lintian --fail-on error,warning --display-info "$(basename "$deb")" 9>&-) ||
  { rm -rf "$lint"; fail "lintian reports errors or warnings (above)"; }
rm -rf "$lint"

work=$(mktemp -d)
chmod 755 "$work"
mock=""
cleanup() {
  [ -n "$mock" ] && kill "$mock" 2>/dev/null && wait "$mock" 2>/dev/null
  if installed; then apt-get remove -y -qq tsync >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

step "apt-get install $(basename "$deb")"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "$deb" >"$work/apt.log" 2>&1 ||
  { cat "$work/apt.log"; fail "apt-get install"; }
installed || fail "tsync is not installed after apt-get install"
dpkg -L tsync >"$work/files"

step "tsync --version"
/usr/bin/tsync --version | tee "$work/version"
version=$(dpkg-query -W -f='${Version}' tsync)
grep -qx "tsync $version" "$work/version" || fail "first line is not 'tsync $version'"
grep -q '^SQLite [0-9]' "$work/version" || fail "no SQLite version"
grep -q '^libcurl [0-9]' "$work/version" || fail "no libcurl version"

step "man tsync"
page=$(man -w tsync)
[ "$page" = /usr/share/man/man1/tsync.1.gz ] || fail "man -w tsync gives '$page'"
MANWIDTH=80 man --warnings -l "$page" >"$work/man.txt" 2>"$work/man.err"
[ -s "$work/man.err" ] && { cat "$work/man.err"; fail "man warns about the page"; }
for section in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS CONFIGURATION "EXIT STATUS" FILES \
  EXAMPLES; do
  grep -q "^$section" "$work/man.txt" || fail "the manual page has no $section section"
done
grep -qE '^ +75 +another +sync +holds' "$work/man.txt" || fail "no exit code 75 in the page"
sed -n '1p' "$work/man.txt"
grep -q "^tsync $version" "$work/man.txt" || fail "the manual page does not name version $version"

step "man tsync-mock-api"
page=$(man -w tsync-mock-api)
[ "$page" = /usr/share/man/man1/tsync-mock-api.1.gz ] || fail "man -w tsync-mock-api gives '$page'"
MANWIDTH=80 man --warnings -l "$page" >"$work/man.txt" 2>"$work/man.err"
[ -s "$work/man.err" ] && { cat "$work/man.err"; fail "man warns about the page"; }
for section in NAME SYNOPSIS DESCRIPTION OPTIONS ENDPOINTS "ADMIN REQUESTS" "EXIT STATUS" \
  EXAMPLES; do
  grep -q "^$section" "$work/man.txt" || fail "tsync-mock-api's manual page has no $section section"
done
grep -q "^tsync $version" "$work/man.txt" || fail "the manual page does not name version $version"

step "copyright and changelog"
doc=/usr/share/doc/tsync
grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' \
  "$doc/copyright" || fail "$doc/copyright is not in Debian's machine-readable format"
grep -qx 'License: Apache-2.0' "$doc/copyright" || fail "$doc/copyright does not name Apache-2.0"
zcat "$doc/changelog.gz" >"$work/changelog"
head -1 "$work/changelog"
[ "$(dpkg-parsechangelog -l "$work/changelog" -S Version)" = "$version" ] ||
  fail "the newest entry of $doc/changelog.gz is not version $version"

step "bash completion"
cat >"$work/configuration.json" <<'JSON'
{"database": "replica.db",
 "streams": [{"name": "user", "url": "http://127.0.0.1:1/a", "columns": {"name": "TEXT"}},
             {"url": "http://127.0.0.1:1/b", "name": "orders"}]}
JSON
completions=$(cd "$work" && bash --norc --noprofile -c '
  source /usr/share/bash-completion/completions/tsync
  complete -p tsync >/dev/null || exit 1
  try() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _tsync; echo "${COMPREPLY[*]}"; }
  try tsync ""
  try tsync sync --q
  try tsync sync --stream ""
  try tsync reset -c configuration.json --stream o')
echo "$completions"
[ "$completions" = $'sync status reset check init -h --help --version\n--quiet\nuser orders\norders' ] ||
  fail "completions differ from what was expected"

step "systemd-analyze verify"
units=(/lib/systemd/system/tsync.service /lib/systemd/system/tsync.timer)
systemd-analyze verify "${units[@]}" || fail "systemd-analyze verify"
grep -qx 'ExecStart=/usr/bin/tsync sync --config /etc/tsync/configuration.json' "${units[0]}" ||
  fail "the service does not start /usr/bin/tsync"
systemctl is-enabled tsync.timer >/dev/null 2>&1 && fail "tsync.timer is enabled after install"
[ -f /usr/share/doc/tsync/examples/configuration.json ] || fail "no sample configuration"

step "a sync with the installed binaries, as nobody"
runas() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
replicas=$work/replicas
mkdir -m 0700 "$replicas"
chown nobody:nogroup "$replicas"
# setpriv runs the mock in its own process (so that $! is the mock), without the lock.
setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/tsync-mock-api --users 2000 \
  --port 0 >"$work/mock.log" 2>&1 9>&- &
mock=$!
for _ in $(seq 1 100); do
  grep -q serving "$work/mock.log" && break
  kill -0 "$mock" 2>/dev/null || { cat "$work/mock.log"; fail "tsync-mock-api did not start"; }
  sleep 0.1
done
cat "$work/mock.log"
url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/incremental/timestamp' "$work/mock.log") ||
  fail "tsync-mock-api printed no URL"
printf '{"base_url": "%s"}\n' "$url" >"$replicas/configuration.json"
(cd "$replicas" && runas /usr/bin/tsync sync) || fail "tsync sync"
rows=$(runas sqlite3 "$replicas/replica.db" "SELECT count(*) FROM user")
[ "$rows" = 2000 ] || fail "the replica holds $rows users, not 2000"
[ "$(stat -c %a "$replicas/replica.db")" = 600 ] || fail "the replica is not mode 0600"
(cd "$replicas" && runas /usr/bin/tsync status) || fail "tsync status"

step "apt-get remove tsync"
# An administrator's enabled timer must not outlive the package.
systemctl enable tsync.timer >/dev/null 2>&1 || fail "systemctl enable tsync.timer"
[ -L /etc/systemd/system/timers.target.wants/tsync.timer ] || fail "systemctl enable made no link"
apt-get remove -y -qq -o DPkg::Lock::Timeout=300 tsync >"$work/apt.log" 2>&1 ||
  { cat "$work/apt.log"; fail "apt-get remove"; }
status=$(dpkg-query -W -f='${db:Status-Status}' tsync 2>/dev/null || echo not-installed)
[ "$status" = not-installed ] || fail "dpkg says tsync is '$status' after removal (files left?)"
while read -r path; do
  [ -d "$path" ] && continue  # folders are shared (/lib is a link to one)
  if [ -f "$path" ] || [ -L "$path" ]; then fail "$path is still there"; fi
done <"$work/files"
left=$(find /etc/systemd /var/lib/systemd/deb-systemd-helper-enabled -name 'tsync.*' 2>/dev/null)
[ -z "$left" ] || fail "left behind: $left"
getent passwd tsync >/dev/null && fail "a user tsync exists"
echo "package-test: ok"
