#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmarks pages asked ahead: one large stream without windows, paged by an
# offset (with the total), by page numbers (with the number of pages) and by Link
# headers (with a rel="last" link), each read
# with max_concurrency 1 and 8 into a new replica, the two runs alternating, and
# prints the cases with their targets, each PASS or MISS.
#
#   bench/fetch_ahead.sh                  100,000 records in pages of 100, 100 ms a response
#   bench/fetch_ahead.sh --smoke          2,000 records and 5 ms: checks the script works
#   bench/fetch_ahead.sh --records N --page N --latency-ms MS --runs N
#   bench/fetch_ahead.sh --build-dir DIR  the release build in DIR (build by default)
#   bench/fetch_ahead.sh --memory N       also: N records in offset pages of 1,000, no
#                                         latency, max_concurrency 1: peak memory
#                                         (GNU time), target under 100 MB
#
# Each case (an offset with the total, page numbers with the number of pages, and
# GitHub-shaped Link headers with a rel="last" link): the mock serves $records
# records with integer ids at a path of their own,
# $page a response, every response delayed $latency_ms ms. A sync with
# max_concurrency 1 (one request at a time, the old order) and one with 8 (seven
# pages asked ahead of the one read) each make a new replica; both replicas must hold
# every record, identical row for row. Target: 8 in flight at least 6x faster than 1.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

build=build
records=100000
page=100
latency_ms=100
runs=1
memory=0
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records=$2; shift 2 ;;
    --page) page=$2; shift 2 ;;
    --latency-ms) latency_ms=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --memory) memory=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    --smoke) records=2000; latency_ms=5; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v sqlite3 >/dev/null || { echo "bench: needs sqlite3" >&2; exit 1; }

case "$build" in /*) ;; *) build="$root/$build" ;; esac
tsync="$build/tsync"
mock_bin="$build/tsync-mock-api"
[ -x "$tsync" ] && [ -x "$mock_bin" ] || { echo "bench: build $build first (cmake --build $build --target tsync tsync-mock-api)" >&2; exit 1; }

work=$(mktemp -d)
mock_pid=""
trap '[ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null; rm -rf "$work"' EXIT
memory_endpoint=""
[ "$memory" -eq 0 ] || memory_endpoint="--endpoint=path=/v1/long,paging=offset,records=$memory,key=integer,fields=title:string,records_path=data,since_param=since,page_size=1000,max_page_size=1000"
[ "$memory" -eq 0 ] || [ -x /usr/bin/time ] || { echo "bench: --memory needs GNU time (/usr/bin/time)" >&2; exit 1; }
endpoint="records=$records,key=integer,fields=title:string,records_path=data,since_param=since,page_size=$page,max_page_size=$page,latency_ms=$latency_ms"
"$mock_bin" --users 1 --port 0 \
  --endpoint "path=/v1/offset,paging=offset,$endpoint" \
  --endpoint "path=/v1/pages,paging=page_number,$endpoint" \
  --endpoint "path=/v1/links,paging=link_header,$endpoint" ${memory_endpoint:+"$memory_endpoint"} >"$work/mock.log" 2>&1 &
mock_pid=$!
for _ in $(seq 1 2400); do
  grep -q 'http://127\.0\.0\.1:[0-9]' "$work/mock.log" && break
  kill -0 "$mock_pid" 2>/dev/null || { cat "$work/mock.log" >&2; exit 1; }
  sleep 0.05
done
api=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/mock.log" | head -1)
[ -n "$api" ] || { echo "bench: the mock did not start" >&2; exit 1; }

fail() { echo "bench: $*" >&2; exit 1; }

# sync_case NAME PATH PAGINATION CONCURRENCY [PARAMS]: a new replica, timed; prints
# the seconds.
sync_case() {
  local db="$work/$1-$4.db"
  rm -f "$db" "$db-wal" "$db-shm"
  printf '{"database": "%s", "max_concurrency": %s, "streams": [{"name": "items", "url": "%s%s", "records_path": "data", "params": {%s}, "pagination": %s}]}\n' \
    "$db" "$4" "$api" "$2" "${5:-}" "$3" >"$work/config.json"
  local start end
  start=$EPOCHREALTIME
  "$tsync" sync --quiet --config "$work/config.json" || fail "$1 with max_concurrency $4 failed"
  end=$EPOCHREALTIME
  [ "$(sqlite3 "$db" 'SELECT count(*) FROM items')" = "$records" ] || fail "$1 with max_concurrency $4 stored $(sqlite3 "$db" 'SELECT count(*) FROM items') records, not $records"
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }'
}

digest() { sqlite3 "$1" 'SELECT id, title, updatedAt FROM items ORDER BY id' | sha256sum | cut -c1-16; }

echo "bench: pages asked ahead: $(nproc) cores; $records records in pages of $page, $latency_ms ms a response, $runs run(s) each"
printf '%-44s %10s %10s %8s\n' "case" "mc 1 (s)" "mc 8 (s)" "speed-up"
verdicts=()
for style in offset pages links; do
  params=""
  if [ "$style" = offset ]; then
    name="offset with the total"; path=/v1/offset
    pagination='{"type": "offset", "param": "offset", "limit_param": "limit", "limit": '"$page"', "total_path": "total"}'
  elif [ "$style" = pages ]; then
    name="page numbers with the number of pages"; path=/v1/pages
    pagination='{"type": "page", "param": "page", "size_param": "per_page", "size": '"$page"', "total_pages_path": "total_pages"}'
  else
    name="Link headers with rel=last (GitHub's)"; path=/v1/links
    pagination='{"type": "link_header"}'; params='"per_page": "'"$page"'"'
  fi
  for run in $(seq 1 "$runs"); do
    one=$(sync_case "$style" "$path" "$pagination" 1 "$params")
    eight=$(sync_case "$style" "$path" "$pagination" 8 "$params")
    [ "$(digest "$work/$style-1.db")" = "$(digest "$work/$style-8.db")" ] || fail "$name: the replicas of max_concurrency 1 and 8 differ"
    ratio=$(awk -v a="$one" -v b="$eight" 'BEGIN { printf "%.2f", a / b }')
    printf '%-44s %10s %10s %7sx\n' "$name (run $run)" "$one" "$eight" "$ratio"
    verdicts+=("$(awk -v x="$ratio" 'BEGIN { print (x >= 6) ? "PASS" : "MISS" }') $name, run $run: ${ratio}x faster with 8 in flight (target: at least 6x); replicas identical")
  done
done
if [ "$memory" -gt 0 ]; then
  db="$work/long.db"
  printf '{"database": "%s", "max_concurrency": 1, "streams": [{"name": "items", "url": "%s/v1/long", "records_path": "data", "pagination": {"type": "offset", "param": "offset", "limit_param": "limit", "limit": 1000, "total_path": "total"}}]}\n' \
    "$db" "$api" >"$work/long.json"
  /usr/bin/time -v "$tsync" sync --quiet --config "$work/long.json" 2>"$work/long.time" || { cat "$work/long.time" >&2; fail "the long chain failed"; }
  [ "$(sqlite3 "$db" 'SELECT count(*) FROM items')" = "$memory" ] || fail "the long chain stored $(sqlite3 "$db" 'SELECT count(*) FROM items') records, not $memory"
  kib=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/long.time")
  mib=$(awk -v k="$kib" 'BEGIN { printf "%.1f", k / 1024 }')
  mb=$(awk -v k="$kib" 'BEGIN { printf "%.1f", k * 1024 / 1000000 }')
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$work/long.time")
  printf '%-44s %10s %10s\n' "$memory records in offset pages of 1,000" "$mib MiB" "$wall s"
  verdicts+=("$(awk -v x="$mb" 'BEGIN { print (x < 100) ? "PASS" : "MISS" }') $memory records in offset pages of 1,000: peak $mib MiB ($mb MB; target: under 100 MB), $wall s")
fi
echo
printf '%s\n' "${verdicts[@]}"
