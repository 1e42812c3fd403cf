#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmarks a change feed: the Microsoft Graph users delta configuration of
# docs/change-feeds.md (the block marked `<!-- tested: graph -->`, read from the page
# itself) against tsync-mock-api's Graph users, and prints the cases with their
# targets, each PASS or MISS.
#
#   bench/change_feeds.sh                 100,000 users in pages of 200, 20 ms a response
#   bench/change_feeds.sh --smoke         2,000 users and 2 ms: checks the script works
#   bench/change_feeds.sh --users N --page N --latency-ms MS
#   bench/change_feeds.sh --build-dir DIR the release build in DIR (build by default)
#
# 1. First read: every user, page after page ($users / $page pages, each delayed
#    $latency_ms ms by the mock), into a new replica. The floor the latency sets is
#    requests x latency (a feed is one chain: one request at a time). Target: within
#    1.1x the floor. Checked: every user in the replica, the delta link saved.
# 2. A night: 100 users change and 10 are removed for good, then a sync. Target: one
#    or two requests; checked: 10 rows marked deleted, the live rows as many as the
#    mock's users, and each changed user's jobTitle as the mock serves it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

build=build
users=100000
page=200
latency_ms=20
while [ $# -gt 0 ]; do
  case "$1" in
    --users) users=$2; shift 2 ;;
    --page) page=$2; shift 2 ;;
    --latency-ms) latency_ms=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    --smoke) users=2000; latency_ms=2; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ "$users" -ge 200 ] || { echo "bench: --users takes at least 200 (110 of them change)" >&2; exit 2; }
command -v sqlite3 >/dev/null && command -v curl >/dev/null || { echo "bench: needs sqlite3 and curl" >&2; exit 1; }

case "$build" in /*) ;; *) build="$root/$build" ;; esac
tsync="$build/tsync"
mock_bin="$build/tsync-mock-api"
[ -x "$tsync" ] && [ -x "$mock_bin" ] || { echo "bench: build $build first (cmake --build $build --target tsync tsync-mock-api)" >&2; exit 1; }

work=$(mktemp -d)
mock_pid=""
trap '[ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null; rm -rf "$work"' EXIT
"$mock_bin" --users 1 --port 0 --graph "$users:$page" --latency-ms "$latency_ms" >"$work/mock.log" 2>&1 &
mock_pid=$!
for _ in $(seq 1 2400); do
  grep -q 'Graph users' "$work/mock.log" && break
  kill -0 "$mock_pid" 2>/dev/null || { cat "$work/mock.log" >&2; exit 1; }
  sleep 0.05
done
api=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/mock.log" | head -1)
[ -n "$api" ] || { echo "bench: the mock did not start" >&2; exit 1; }

fail() { echo "bench: $*" >&2; exit 1; }
q() { sqlite3 -cmd '.timeout 5000' "$work/replica.db" "$1"; }
stream=$(awk '/<!-- tested: graph -->/ { marked = 1; next }
              marked && /^```json$/ { inside = 1; next }
              inside && /^```$/ { exit }
              inside { print }' docs/change-feeds.md | sed -e "s#https://graph\.microsoft\.com#$api#g")
[ -n "$stream" ] || fail "docs/change-feeds.md has no configuration marked graph"
printf '{"database": "%s", "streams": [%s]}\n' "$work/replica.db" "$stream" >"$work/config.json"
export GRAPH_TOKEN=bench-graph-token
sync_cmd=("$tsync" sync --quiet --config "$work/config.json")

echo "bench: change feed: $(nproc) cores; $users Graph users in pages of $page, $latency_ms ms a response"

# 1. First read.
start=$EPOCHREALTIME
"${sync_cmd[@]}" || fail "the first sync failed"
end=$EPOCHREALTIME
seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
[ "$(q 'SELECT count(*) FROM users')" = "$users" ] || fail "the replica holds $(q 'SELECT count(*) FROM users') users, not $users"
q "SELECT last_timestamp FROM _state WHERE stream = 'users'" | grep -q 'deltatoken=' || fail "no delta link saved"
requests=$(q "SELECT requests FROM _sync_log ORDER BY run_id DESC LIMIT 1")
first_read_at=$(q 'SELECT max(_tsync_read_at) FROM users')
floor=$(awk -v r="$requests" -v ms="$latency_ms" 'BEGIN { printf "%.3f", r * ms / 1000 }')
ratio=$(awk -v t="$seconds" -v f="$floor" 'BEGIN { printf "%.2f", t / f }')
first=$(awk -v x="$ratio" 'BEGIN { print (x <= 1.1) ? "PASS" : "MISS" }')

# 2. A night: 100 changed, 10 removed for good.
changed=$(curl -fsS --data '' "$api/admin/graph/mutate?update=100&add=0")
curl -fsS --data '' "$api/admin/graph/remove?count=10&reason=deleted" >/dev/null
start=$EPOCHREALTIME
"${sync_cmd[@]}" || fail "the nightly sync failed"
end=$EPOCHREALTIME
night_seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
night_requests=$(q "SELECT requests FROM _sync_log ORDER BY run_id DESC LIMIT 1")
deleted=$(q 'SELECT count(*) FROM users WHERE _tsync_deleted_at IS NOT NULL')
live=$(q 'SELECT count(*) FROM users WHERE _tsync_deleted_at IS NULL')
[ "$deleted" = 10 ] || fail "$deleted rows marked deleted, not 10"
[ "$live" = $((users - 10)) ] || fail "$live live rows, not $((users - 10))"
# The changed users came again in the night's read: rewritten after the first read.
rewritten=$(q "SELECT count(*) FROM users WHERE _tsync_read_at > '$first_read_at' AND _tsync_deleted_at IS NULL")
[ "$rewritten" -ge 90 ] && [ "$rewritten" -le 100 ] || fail "$rewritten changed users rewritten, not 90 to 100"
night=$([ "$night_requests" -le 2 ] && echo PASS || echo MISS)

printf '%-52s %9s %9s\n' "case" "seconds" "requests"
printf '%-52s %9s %9s\n' "first read of $users users, pages of $page" "$seconds" "$requests"
printf '%-52s %9s %9s\n' "a night: 100 changed, 10 removed" "$night_seconds" "$night_requests"
echo
echo "$first first read: $seconds s against a floor of $requests requests x $latency_ms ms = $floor s: ${ratio}x (target: at most 1.1x)"
echo "$night night: $night_requests requests (target: one or two), 10 rows marked deleted, $rewritten changed users rewritten, $live live"
