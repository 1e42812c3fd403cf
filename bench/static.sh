#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmarks how a fresh full sync grows with its size: generated users in one
# response, served by nginx as a static file and by tsync-mock-api, each size's
# time over the 1M time and peak memory against the goals (3M within 3.3x and 10M
# within 11x of 1M, peak under 100 MB), each PASS or MISS. With --against, the
# tsync of another build syncs the same responses, its runs alternating with
# this build's.
#
#   bench/static.sh                   1M and 3M users, one run each
#   bench/static.sh --ten-million     and 10M users: minutes, about 12 GB of disk
#                                     (14 GB with --physical)
#   bench/static.sh --sizes "1000000 3000000" --runs 3
#   bench/static.sh --against DIR     also the tsync in DIR (a build of another
#                                     version), same cases, runs alternating
#   bench/static.sh --build-dir DIR   the release build in DIR (build by default)
#   bench/static.sh --physical        also the physical limit of each size, its runs
#                                     alternating with tsync's: the sqlite3 shell
#                                     appending the same users, parsed beforehand,
#                                     to an unindexed table, then building the key's
#                                     and the cursor's indexes (docs/performance.md,
#                                     "The physical limit"), and tsync's time over it
#   bench/static.sh --smoke           10,000 and 30,000 users: checks the script works
#
# Each size: the mock generates the users, its one response is saved as a file,
# and nginx (nginx-light) serves that file on 127.0.0.1: tsync's
# one request gets the whole file, with a Content-Length, as from a static export
# (a stream without since_param; the mock's stream is the seed's user stream). Each
# sync makes a new replica; every replica of a size must hold the same rows. The
# temporary files (SQLite's and the staged rows') go to the work folder, in
# /var/tmp unless TMPDIR says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

build=build
against=""
sizes="1000000 3000000"
runs=1
physical=0
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes=$2; shift 2 ;;
    --ten-million) sizes="1000000 3000000 10000000"; shift ;;
    --runs) runs=$2; shift 2 ;;
    --against) against=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    --physical) physical=1; shift ;;
    --smoke) sizes="10000 30000"; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
for tool in sqlite3 curl; do
  command -v "$tool" >/dev/null || { echo "bench: needs $tool" >&2; exit 1; }
done
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "bench: needs nginx (apt-get install nginx-light)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: needs GNU time (apt-get install time)" >&2; exit 1; }

absolute() { case "$1" in /*) echo "$1" ;; *) echo "$root/$1" ;; esac; }
build=$(absolute "$build")
mock_bin="$build/tsync-mock-api"
builds=("$build/tsync")
[ -z "$against" ] || builds+=("$(absolute "$against")/tsync")
for b in "${builds[@]}" "$mock_bin"; do
  [ -x "$b" ] || { echo "bench: no $b; build it first (cmake --build DIR --target tsync tsync-mock-api)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/var/tmp}/tsync-bench-static.XXXXXX")
mock_pid=""
nginx_pid=""
stop() {
  [ -z "$mock_pid" ] || { kill "$mock_pid" 2>/dev/null || true; wait "$mock_pid" 2>/dev/null || true; }
  [ -z "$nginx_pid" ] || { kill "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; }
  mock_pid=""
  nginx_pid=""
}
trap 'stop; rm -rf "$work"' EXIT
export SQLITE_TMPDIR="$work"

# start_mock N [OPTION...]: serves N users; sets $mock_url.
start_mock() {
  "$mock_bin" --users "$1" --port 0 "${@:2}" >"$work/mock.log" 2>&1 &
  mock_pid=$!
  until grep -q serving "$work/mock.log"; do
    kill -0 "$mock_pid" 2>/dev/null || { cat "$work/mock.log" >&2; exit 1; }
    sleep 0.1
  done
  mock_url="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/mock.log" | head -1)/incremental/timestamp"
}

# start_nginx: serves $work/www/users.json; sets $static_url.
start_nginx() {
  local port attempt
  mkdir -p "$work/nginx"
  for attempt in 1 2 3 4 5 6 7 8; do
    port=$((20000 + RANDOM % 20000))
    cat >"$work/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 64; }
http {
  access_log off;
  sendfile on;
  default_type application/json;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$port;
    root $work/www;
  }
}
CONF
    "$nginx" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &
    nginx_pid=$!
    static_url="http://127.0.0.1:$port/users.json"
    for _ in $(seq 1 50); do
      curl -fsS -o /dev/null -r 0-0 "$static_url" 2>/dev/null && return 0
      kill -0 "$nginx_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
    nginx_pid=""
  done
  echo "bench: nginx did not start:" >&2
  cat "$work/nginx/error.log" >&2
  exit 1
}

# sync_once TSYNC CONFIG N NAME: a fresh full sync of CONFIG (its JSON) into a new
# replica; appends "NAME N SECONDS MIB" to results and checks the replica.
sync_once() {
  local bin=$1 config=$2 n=$3 name=$4 start end digest
  printf '%s\n' "$config" >"$work/config.json"
  rm -f "$work"/replica.db*
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$work/rss" "$bin" sync --quiet --config "$work/config.json" \
    --db "$work/replica.db" >"$work/out" 2>&1 || { cat "$work/out" >&2; exit 1; }
  end=$(date +%s.%N)
  digest=$(sqlite3 "$work/replica.db" \
    "SELECT count(*) || ' ' || total(length(id) + length(email) + length(updatedAt)) || ' ' || max(updatedAt) FROM user")
  [ "${digest%% *}" = "$n" ] || { echo "bench: $name: the replica holds ${digest%% *} users, not $n" >&2; exit 1; }
  if [ -z "${expected:-}" ]; then expected=$digest; fi
  [ "$digest" = "$expected" ] || { echo "bench: $name: the replica differs ($digest against $expected)" >&2; exit 1; }
  awk -v name="$name" -v n="$n" -v s="$start" -v e="$end" -v kib="$(cat "$work/rss")" \
    'BEGIN { printf "%s %d %.3f %.1f\n", name, n, e - s, kib / 1024 }' | tee -a "$work/results"
}

# save_pages N: the mock's N users, in offset pages of at most 1M (the sqlite3
# shell's readfile() reads at most 1 GB), as $work/pages/*.json.
save_pages() {
  local n=$1 page=1000000 offset=0
  rm -rf "$work/pages"
  mkdir -p "$work/pages"
  start_mock "$n" --paging offset --max-page-size "$page"
  while [ "$offset" -lt "$n" ]; do
    curl -fsS "$mock_url?offset=$offset&limit=$page" -o "$work/pages/$(printf '%06d' $((offset / page))).json"
    offset=$((offset + page))
  done
  stop
}

# physical_once N: the physical limit of N users: the sqlite3 shell, with tsync's
# page size, WAL and cache, parses the pages into an attached :memory: table (not
# timed), then appends them to an unindexed table and builds the key's unique
# index and the cursor's index in one transaction (timed, statement by statement);
# appends "physical N SECONDS MIB" to results.
physical_once() {
  local n=$1 f seconds
  rm -f "$work"/physical.db*
  {
    echo "PRAGMA page_size = 8192;"
    echo "PRAGMA journal_mode = WAL;"
    echo "PRAGMA cache_size = -65536;"
    echo "ATTACH ':memory:' AS src;"
    echo "CREATE TABLE src.users (id, name, email, address, company, job, updatedAt, createdAt);"
    for f in "$work"/pages/*.json; do
      echo "INSERT INTO src.users SELECT j.value->>'id', j.value->>'name', j.value->>'email',"
      echo "  j.value->>'address', j.value->>'company', j.value->>'job', j.value->>'updatedAt',"
      echo "  j.value->>'createdAt' FROM json_each(readfile('$f'), '\$.data') AS j;"
    done
    echo "CREATE TABLE user (id TEXT NOT NULL, name TEXT, email TEXT, address TEXT, company TEXT,"
    echo "  job TEXT, updatedAt TEXT NOT NULL, createdAt TEXT);"
    echo ".timer on"
    echo "BEGIN;"
    echo "INSERT INTO user SELECT * FROM src.users;"
    echo "CREATE UNIQUE INDEX user_key ON user (id);"
    echo "CREATE INDEX user_cursor ON user (updatedAt);"
    echo "COMMIT;"
  } >"$work/physical.sql"
  /usr/bin/time -f "%M" -o "$work/rss" sqlite3 "$work/physical.db" <"$work/physical.sql" \
    >"$work/physical.out" 2>&1 || { cat "$work/physical.out" >&2; exit 1; }
  [ "$(sqlite3 "$work/physical.db" "SELECT count(*) FROM user")" = "$n" ] ||
    { echo "bench: physical: the table holds $(sqlite3 "$work/physical.db" "SELECT count(*) FROM user") users, not $n" >&2; exit 1; }
  seconds=$(awk '/^Run Time/ { s += $4 } END { printf "%.3f", s }' "$work/physical.out")
  awk -v n="$n" -v s="$seconds" -v kib="$(cat "$work/rss")" \
    'BEGIN { printf "physical %d %.3f %.1f\n", n, s, kib / 1024 }' | tee -a "$work/results"
  rm -f "$work"/physical.db*
}

label() { # the name of build $1 (0: this one)
  if [ "$1" -eq 0 ]; then echo "this"; else echo "against"; fi
}

: >"$work/results"
mkdir -p "$work/www"
for n in $sizes; do
  [ "$physical" -eq 0 ] || save_pages "$n"
  start_mock "$n"
  curl -fsS "$mock_url" -o "$work/www/users.json"
  start_nginx
  # A static export has no filter: without since_param, one request reads it (with
  # one, a sync asks again from the newest record, and the file comes back whole).
  static_config="{\"streams\": [{\"name\": \"user\", \"url\": \"$static_url\", \"since_param\": null}]}"
  expected=""
  for _ in $(seq 1 "$runs"); do
    for i in "${!builds[@]}"; do
      sync_once "${builds[$i]}" "$static_config" "$n" "$(label "$i")-nginx"
      sync_once "${builds[$i]}" "{\"base_url\": \"$mock_url\"}" "$n" "$(label "$i")-mock"
    done
    [ "$physical" -eq 0 ] || physical_once "$n"
  done
  stop
  rm -rf "$work/www/users.json" "$work"/replica.db* "$work/pages"
done

# The medians, each size over the smallest (1M unless --sizes says otherwise), and the goals.
first=${sizes%% *}
sort -k1,1 -k2,2n -k3,3n "$work/results" | awk -v first="$first" '
  { key = $1 " " $2; t[key, ++c[key]] = $3; if ($4 > m[key]) m[key] = $4; names[$1] = 1; ns[$2] = 1 }
  END {
    for (key in c) { k = c[key]; med[key] = (k % 2) ? t[key, (k + 1) / 2] : (t[key, k / 2] + t[key, k / 2 + 1]) / 2 }
    printf "\n%-14s %10s %9s %9s %10s  %s\n", "case", "users", "seconds", "x first", "peak MiB", "goal"
    for (name in names) for (n in ns) {
      key = name " " n
      if (!(key in c)) continue
      ratio = med[key] / med[name " " first]
      goal = ""
      if (n / first > 2.5 && n / first < 3.5) goal = (ratio <= 3.3 ? "PASS" : "MISS") " (3x the users within 3.3x the time)"
      if (n / first > 9.5 && n / first < 10.5) goal = (ratio <= 11 ? "PASS" : "MISS") " (10x the users within 11x the time)"
      mem = (m[key] < 95.4 ? "PASS" : "MISS") " (under 100 MB)"
      # The limit has no goal of its own; its shell holds the parsed users in memory.
      if (name == "physical") { goal = ""; mem = "the physical limit" }
      printf "%-14s %10d %9.3f %8.2fx %10.1f  %s%s%s\n", name, n, med[key], ratio, m[key], goal, (goal == "" ? "" : "; "), mem
    }
    for (n in ns) {
      if (!(("physical " n) in c)) continue
      for (name in names) {
        key = name " " n
        if (name == "physical" || !(key in c)) continue
        ratio = med[key] / med["physical " n]
        goal = (n == 1000000) ? ((ratio <= 1.3 ? "  PASS" : "  MISS") " (1M within 1.3x of the physical limit)") : ""
        printf "~%s %d: %.2fx the physical limit%s\n", name, n, ratio, goal
      }
    }
  }' | { read -r; echo "$REPLY"; read -r; echo "$REPLY"; sort -k1,1 -k2,2n | sed 's/^~//'; }
