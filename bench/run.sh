#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmarks tsync against the sqlite3 shell loading the same JSON with
# json_each, side by side on this machine: prints a table of every case, then a
# scaling table with the targets of "ten million records in linear time and flat
# memory", and draws the scaling as a PNG (gnuplot, bench/scaling.gp).
#
#   bench/run.sh                 1M users, 3 runs per case; scaling at 100k, 1M and 3M
#                                users (1M reuses the 1M cases); then 1M records of
#                                20 mixed fields on a generic endpoint
#   bench/run.sh --ten-million   the same, and 10M users in the scaling: it takes
#                                minutes and several GB of disk
#   bench/run.sh --runs 5 --users 1000000 --scaling "100000 3000000" --wide 1000000
#   bench/run.sh --scaling ""    no scaling sizes, no plot
#   bench/run.sh --plot FILE     the plot in FILE (from the current folder) instead
#                                of bench/scaling.png
#   bench/run.sh --wide-only     the generic-endpoint case alone; --wide 0 skips it
#   bench/run.sh --paged-only    the paged cases alone (below); --paged 0 skips them
#   bench/run.sh --concurrency-only
#                                the requests-in-flight cases alone (below), with
#                                100,000 users: about four minutes, most of it the
#                                sequential syncs; --concurrency N adds them to any
#                                run with N users (the full run leaves them out);
#                                --concurrency-runs N runs each case N times (1)
#   bench/run.sh --smoke         a few thousand users, one run, scaling at 1k and 3k,
#                                the sqlite3 shell's paged load too, and the
#                                requests-in-flight cases with 2,000 users and 2 ms of
#                                latency: checks the script works (their goals are
#                                not for so few); its plot is not kept unless --plot
#                                names a file
#
# Every tsync case runs the release build against tsync-mock-api on 127.0.0.1, one
# response holding every record, except the paged cases: $paged users (100,000 by
# default) read in pages of 100 with an offset (1,000 requests), with no latency
# and with 20 ms added to every response, against the same users in one response
# and against the floor the latency sets (requests x 20 ms), and the
# requests-in-flight cases: $concurrency users updated within the last 10 days,
# read in daily windows (an API that refuses a longer range) in pages of 100 with
# 100 ms added to every response, with max_concurrency 1 and 8, and the same
# number of records in four streams of a quarter each, with max_concurrency 1
# and 4. Wall time is measured around the process; peak
# memory is the process's max RSS from GNU time. For the full syncs, re-syncs and
# full passes, peak disk is the work folder's filesystem's used bytes (df), sampled
# every 0.2 s during the run, less the figure before it: the replica's growth and
# SQLite's temporary files (SQLITE_TMPDIR is in the work folder), and anything
# else written to that filesystem meanwhile.
set -euo pipefail
caller_dir=$(pwd)
cd "$(dirname "$0")/.."
root=$(pwd)

runs=3
users=1000000
scaling="100000 1000000 3000000"
ten_million=false
build=build
smoke=false
wide=1000000
wide_only=false
paged=100000
paged_only=false
paged_latency_ms=20
concurrency=""
concurrency_only=false
concurrency_runs=1
concurrency_latency_ms=100
plot=""
# The sqlite3 shell reads a body with readfile(), which returns at most
# 1,000,000,000 bytes (SQLITE_MAX_LENGTH): 3.5M users. Past one_piece_max users it
# loads the body in pages of about page_records users, one INSERT per page in one
# transaction. The environment can lower both, to try the paged load on few users.
one_piece_max=${TSYNC_BENCH_ONE_PIECE_MAX:-3000000}
page_records=${TSYNC_BENCH_PAGE_RECORDS:-1000000}
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --users) users=$2; shift 2 ;;
    --scaling) scaling=$2; shift 2 ;;
    --ten-million) ten_million=true; shift ;;
    --build-dir) build=$2; shift 2 ;;
    --wide) wide=$2; shift 2 ;;
    --wide-only) wide_only=true; shift ;;
    --paged) paged=$2; shift 2 ;;
    --paged-only) paged_only=true; shift ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --concurrency-only) concurrency_only=true; shift ;;
    --concurrency-runs) concurrency_runs=$2; shift 2 ;;
    --plot) plot=$2; shift 2 ;;
    --smoke) smoke=true; runs=1; users=3000; scaling="1000 3000"; wide=0; paged=2000
             paged_latency_ms=2; concurrency=${concurrency:-2000}; concurrency_latency_ms=2
             one_piece_max=2000; page_records=1000; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
if $ten_million; then
  scaling+=" 10000000"
fi
if [ -z "$concurrency" ]; then
  if $concurrency_only; then concurrency=100000; else concurrency=0; fi
fi
[ "$concurrency" -eq 0 ] || [ "$concurrency" -ge 4 ] \
  || { echo "bench: --concurrency takes 0 (none) or at least 4 (four streams of a quarter)" >&2; exit 2; }
# Smallest first, each size once.
scaling=$(for n in $scaling; do echo "$n"; done | sort -n -u | tr '\n' ' ')
scaling=${scaling% }

if ! $smoke; then
  scripts/install-deps.sh --bench
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j "$(nproc)" --target tsync tsync-mock-api >/dev/null
fi
case "$build" in /*) ;; *) build="$root/$build" ;; esac
tsync="$build/tsync"
mock_bin="$build/tsync-mock-api"
[ -x "$tsync" ] && [ -x "$mock_bin" ] || { echo "bench: build $build first" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: needs GNU time (scripts/install-deps.sh --bench)" >&2; exit 1; }

work=$(mktemp -d)
mkdir "$work/tmp"
if [ -z "$plot" ]; then
  if $smoke; then plot="$work/scaling.png"; else plot="$root/bench/scaling.png"; fi
else
  case "$plot" in /*) ;; *) plot="$caller_dir/$plot" ;; esac
fi
mock_pid=""
sampler_pid=""
stop_mock() {
  if [ -n "$mock_pid" ]; then
    kill "$mock_pid" 2>/dev/null || true
    wait "$mock_pid" 2>/dev/null || true
    mock_pid=""
  fi
}
stop_sampler() {
  if [ -n "$sampler_pid" ]; then
    kill "$sampler_pid" 2>/dev/null || true
    wait "$sampler_pid" 2>/dev/null || true
    sampler_pid=""
  fi
}
trap 'stop_sampler; stop_mock; rm -rf "$work"' EXIT

# start_mock USERS [OPTION...]: serves USERS users, and whatever the options add;
# sets $api (http://127.0.0.1:PORT).
start_mock() {
  stop_mock
  "$mock_bin" --users "$1" --port 0 "${@:2}" >"$work/mock.log" 2>&1 &
  mock_pid=$!
  for _ in $(seq 1 1200); do
    grep -q serving "$work/mock.log" && break
    kill -0 "$mock_pid" 2>/dev/null || { cat "$work/mock.log" >&2; exit 1; }
    sleep 0.05
  done
  api=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/mock.log" | head -1)
  printf '{"base_url": "%s/incremental/timestamp"}\n' "$api" >"$work/config.json"
}

# run_logged COMMAND...: runs COMMAND with its output in $work/out, shown if it fails.
run_logged() { "$@" >"$work/out" 2>&1 || { cat "$work/out" >&2; exit 1; }; }

# record NAME START END ROWS: appends "NAME seconds kib rows" to results, the KiB
# being the peak RSS GNU time left in $work/rss.
record() {
  echo "$1 $(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.4f", b - a }') $(tail -1 "$work/rss") $4" \
    >>"$work/results"
}

# measure NAME ROWS COMMAND...: runs COMMAND under GNU time and records it.
# Timed with bash's own clock: a $(date) around the command would add two process
# starts (about 5 ms) to every figure, which matters for the no-change case.
measure() {
  local name=$1 rows=$2 start end
  shift 2
  start=$EPOCHREALTIME
  run_logged /usr/bin/time -f "%M" -o "$work/rss" "$@"
  end=$EPOCHREALTIME
  record "$name" "$start" "$end" "$rows"
}

# measure_short NAME COMMAND...: for a case of a few milliseconds, where GNU time's
# own start and exit (3-4 ms) would be a tenth of the figure: the wall time of the
# bare command, the peak RSS of a second run under GNU time.
measure_short() {
  local name=$1 start end
  shift
  start=$EPOCHREALTIME
  run_logged "$@"
  end=$EPOCHREALTIME
  run_logged /usr/bin/time -f "%M" -o "$work/rss" "$@"
  record "$name" "$start" "$end" 0
}

# disk_used: the bytes in use on the work folder's filesystem.
disk_used() { df -B1 --output=used "$work" | tail -1 | tr -d ' '; }

# measure_disk NAME ROWS COMMAND...: measure, with SQLite's temporary files in the
# work folder, and the peak of disk_used during the run (sampled every 0.2 s and
# once after it) less the figure before it, in MB, appended to disk as "NAME MB".
# SQLite unlinks its temporary files as it opens them: du cannot see them, df can.
measure_disk() {
  local before
  before=$(disk_used)
  rm -f "$work/disk-stop"
  (
    while [ ! -e "$work/disk-stop" ]; do
      disk_used
      sleep 0.2
    done
  ) >"$work/disk-samples" &
  sampler_pid=$!
  SQLITE_TMPDIR="$work/tmp" TMPDIR="$work/tmp" measure "$@"
  touch "$work/disk-stop"
  wait "$sampler_pid" || true
  sampler_pid=""
  disk_used >>"$work/disk-samples"
  sort -n "$work/disk-samples" | tail -1 \
    | awk -v name="$1" -v before="$before" '{ printf "%s %.1f\n", name, ($1 - before) / 1000000 }' \
    >>"$work/disk"
}

fresh_replica() { rm -f "$work"/replica.db*; }
sync_cmd=("$tsync" sync --quiet --config "$work/config.json" --db "$work/replica.db")
mutate() { curl -fsS --data "" "$api/admin/mutate?update=$1&add=0" >/dev/null; }

# upsert_sql FILE: the statement that upserts the users of the JSON body in FILE
# (under "data") into table user, as tsync's guard does.
upsert_sql() {
  cat <<SQL
INSERT INTO user (id, name, email, address, company, job, updatedAt, createdAt)
SELECT value->>'id', value->>'name', value->>'email', value->>'address', value->>'company',
       value->>'job', value->>'updatedAt', value->>'createdAt'
FROM json_each(readfile('$1'), '\$.data') WHERE true
ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email,
  address = excluded.address, company = excluded.company, job = excluded.job,
  updatedAt = excluded.updatedAt, createdAt = excluded.createdAt
WHERE excluded.updatedAt > user.updatedAt;
SQL
}

# baseline_sql FILE...: the full-load baseline: a new table, and the users of
# every FILE upserted into it in one transaction.
baseline_sql() {
  local f
  cat <<SQL
CREATE TABLE user (id TEXT PRIMARY KEY NOT NULL, name TEXT, email TEXT, address TEXT,
                   company TEXT, job TEXT, updatedAt TEXT NOT NULL, createdAt TEXT);
BEGIN;
SQL
  for f in "$@"; do upsert_sql "$f"; done
  echo "COMMIT;"
}

# The incremental baseline: upsert.sql reads users.json into a copy of the
# replica, with tsync's settings.
upsert_sql "$work/users.json" >"$work/upsert.sql"
cat >"$work/floor.sql" <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA cache_size = -65536;
BEGIN;
.read $work/upsert.sql
COMMIT;
SQL

# The same rows, field by field, apart from the timestamps' notation.
fields_digest() {
  sqlite3 "$1" "SELECT id, name, email, address, company, job FROM user ORDER BY id" | md5sum | cut -d' ' -f1
}

# fetch_pages N: the N users' JSON in files of about page_records users each, from a
# mock serving them a page at a time: each request asks with since = the newest
# updatedAt of the page before (since is exclusive, and a page never splits the
# users of one instant), until a page is empty. Sets body_files; checks that the
# pages hold N users together and that each can be read whole by readfile().
fetch_pages() {
  local n=$1 since="0001-01-01T00:00:00Z" total=0 page=0 file answer count newest
  start_mock "$n" --page-size "$page_records"
  body_files=()
  while :; do
    page=$((page + 1))
    file="$work/page-$page.json"
    curl -fsS -G --data-urlencode "since=$since" "$api/incremental/timestamp" -o "$file"
    answer=$(sqlite3 -separator ' ' :memory: \
      "SELECT json_array_length(body, '\$.data'), body ->> '\$.data[#-1].updatedAt'
       FROM (SELECT readfile('$file') AS body)")
    read -r count newest <<<"$answer"
    if [ "$count" -eq 0 ]; then
      rm -f "$file"
      break
    fi
    [ "$(stat -c %s "$file")" -lt 1000000000 ] \
      || { echo "bench: a page of $page_records users is 1 GB or more; lower page_records" >&2; exit 1; }
    body_files+=("$file")
    total=$((total + count))
    since=$newest
  done
  stop_mock
  [ "$total" -eq "$n" ] \
    || { echo "bench: the pages hold $total users, not $n" >&2; exit 1; }
}

# load_body N: the N users' JSON in files for the sqlite3 shell (body_files, in one
# piece or in pages, body_bytes in all) and a mock serving them in one response for
# tsync ($api).
load_body() {
  local n=$1 f
  if [ "$n" -le "$one_piece_max" ]; then
    start_mock "$n"
    curl -fsS "$api/incremental/timestamp?since=0001-01-01T00:00:00Z" -o "$work/users.json"
    body_files=("$work/users.json")
  else
    fetch_pages "$n"
    start_mock "$n"
  fi
  body_bytes=0
  for f in "${body_files[@]}"; do body_bytes=$((body_bytes + $(stat -c %s "$f"))); done
}

# replica_size N: prints the replica's size (replica.db and its -wal) after the
# cases of N users.
replica_size() {
  local db wal=0
  db=$(stat -c %s "$work/replica.db")
  [ ! -e "$work/replica.db-wal" ] || wal=$(stat -c %s "$work/replica.db-wal")
  awk -v n="$1" -v db="$db" -v wal="$wal" 'BEGIN {
    printf "bench: %d users: replica %.1f MB (replica.db %.1f MB, -wal %.1f MB) after the full pass\n",
      n, (db + wal) / 1000000, db / 1000000, wal / 1000000 }'
}

# size_cases N SHELL FULL RESYNC FULLPASS: the cases of N users, under these names:
# the sqlite3 shell's load of the whole body into a new table, tsync's full sync
# into a new replica (checked against it), a re-sync with every row changed, and a
# full pass (sync --full) where nothing changed: every record is read again, every
# key marked seen, nothing rewritten or deleted. The mock stays up.
size_cases() {
  local n=$1 shell=$2 full=$3 resync=$4 fullpass=$5
  load_body "$n"
  [ "$n" -le "$one_piece_max" ] \
    || echo "bench: $n users: the sqlite3 shell loads the body in ${#body_files[@]} pages"
  baseline_sql "${body_files[@]}" >"$work/baseline.sql"
  for _ in $(seq 1 "$runs"); do
    rm -f "$work"/baseline.db*
    measure "$shell" "$n" sqlite3 "$work/baseline.db" ".read $work/baseline.sql"
    fresh_replica
    measure_disk "$full" "$n" "${sync_cmd[@]}"
  done
  [ "$(sqlite3 "$work/baseline.db" 'SELECT count(*) FROM user')" = "$n" ] \
    || { echo "bench: the sqlite3 shell's load does not hold $n users" >&2; exit 1; }
  [ "$(sqlite3 "$work/replica.db" 'SELECT count(*) FROM user')" = "$n" ] \
    || { echo "bench: the replica does not hold $n users" >&2; exit 1; }
  [ "$(fields_digest "$work/replica.db")" = "$(fields_digest "$work/baseline.db")" ] \
    || { echo "bench: the replica differs from the sqlite3 shell's load" >&2; exit 1; }
  rm -f "${body_files[@]}" "$work"/baseline.db*

  for _ in $(seq 1 "$runs"); do
    mutate "$n"
    measure_disk "$resync" "$n" "${sync_cmd[@]}"
  done
  for _ in $(seq 1 "$runs"); do
    measure_disk "$fullpass" "$n" "${sync_cmd[@]}" --full
  done
  [ "$(sqlite3 "$work/replica.db" "SELECT count(*) FROM pragma_table_info('user') WHERE name = '_tsync_deleted_at'")" = 0 ] \
    || { echo "bench: a full pass with nothing changed marked rows deleted" >&2; exit 1; }
  replica_size "$n"
}

# users_cases: the users endpoint's cases: full loads, re-syncs, full passes,
# incremental and no-change syncs, and the scaling sizes (the one of --users
# reuses its cases).
users_cases() {
  local n
  size_cases "$users" sqlite3-shell full resync-all-changed full-pass-no-change
  body_mb=$(awk -v b="$body_bytes" 'BEGIN { print b / 1000000 }')
  changed=$((users < 10000 ? users : 10000))
  for _ in $(seq 1 "$runs"); do
    mutate "$changed"
    # The floor SQLite sets for this case: the sqlite3 shell upserting the same
    # records into a copy of the replica, in one transaction, with tsync's settings.
    cursor=$(sqlite3 "$work/replica.db" "SELECT last_timestamp FROM _state WHERE stream = 'user'")
    curl -fsS -G --data-urlencode "since=$cursor" "$api/incremental/timestamp" -o "$work/users.json"
    cp "$work/replica.db" "$work/floor.db"
    measure "sqlite3-shell-same-${changed}" "$changed" sqlite3 "$work/floor.db" ".read $work/floor.sql"
    measure "incremental-${changed}" "$changed" "${sync_cmd[@]}"
    [ "$(fields_digest "$work/replica.db")" = "$(fields_digest "$work/floor.db")" ] \
      || { echo "bench: the incremental sync differs from the sqlite3 shell's upsert" >&2; exit 1; }
    rm -f "$work"/floor.db* "$work/users.json"
  done
  for _ in $(seq 1 "$runs"); do
    measure_short "no-change" "${sync_cmd[@]}"
  done

  stop_mock

  # scaling-cases: "N SHELL FULL RESYNC FULLPASS", the names of each size's cases.
  for n in $scaling; do
    if [ "$n" -eq "$users" ]; then
      echo "$n sqlite3-shell full resync-all-changed full-pass-no-change" >>"$work/scaling-cases"
    else
      size_cases "$n" "sqlite3-shell-$n" "full-$n" "resync-$n" "fullpass-$n"
      stop_mock
      echo "$n sqlite3-shell-$n full-$n resync-$n fullpass-$n" >>"$work/scaling-cases"
    fi
  done
}

# The generic-endpoint case: $wide records with 20 fields (an integer id, a unix
# millis cursor, strings, integers, floats, booleans, a nested object and a
# numeric-looking string) under "results", synced by tsync with a long-form
# configuration and loaded by the sqlite3 shell into a table of the same 20
# columns. A failing tsync is reported and the case skipped; the sqlite3 figure
# is kept.
wide_fields="name:string;email:string;city:string;status:string;note:string;region:string"
wide_fields+=";qty:integer;views:integer;account:integer;score:integer"
wide_fields+=";amount:float;price:float;ratio:float;active:bool;verified:bool;archived:bool"
wide_fields+=";meta:object;code:numeric_string"
wide_columns="id ${wide_fields//[;]/ } updated_at"
wide_columns=$(echo "$wide_columns" | sed 's/:[a-z_]*//g')

wide_case() {
  start_mock 0 --endpoint "path=/v1/wide,records=$wide,key=integer,cursor_field=updated_at,cursor_format=unix_millis,since_param=updated_since,records_path=results,fields=$wide_fields"
  local list="" select="" c
  for c in $wide_columns; do
    list+="${list:+, }$c"
    select+="${select:+, }json_extract(value, '\$.$c')"
  done
  cat >"$work/wide.sql" <<SQL
CREATE TABLE wide ($list, PRIMARY KEY (id));
BEGIN;
INSERT INTO wide ($list) SELECT $select
FROM json_each(readfile('$work/wide.json'), '\$.results');
COMMIT;
SQL
  cat >"$work/wide-config.json" <<JSON
{"database": "$work/wide-replica.db",
 "streams": [{"name": "wide", "url": "$api/v1/wide", "table": "wide", "primary_key": ["id"],
              "cursor_field": "updated_at", "cursor_format": "unix_millis",
              "since_param": "updated_since", "records_path": "results"}]}
JSON
  curl -fsS "$api/v1/wide" -o "$work/wide.json"
  local start end tsync_ok=true
  for _ in $(seq 1 "$runs"); do
    rm -f "$work"/wide-baseline.db*
    measure "wide-sqlite3-shell" "$wide" sqlite3 "$work/wide-baseline.db" ".read $work/wide.sql"
    if $tsync_ok; then
      rm -f "$work"/wide-replica.db*
      start=$EPOCHREALTIME
      if /usr/bin/time -f "%M" -o "$work/rss" "$tsync" sync --quiet --config "$work/wide-config.json" \
          --db "$work/wide-replica.db" >"$work/out" 2>&1; then
        end=$EPOCHREALTIME
        record "wide-full" "$start" "$end" "$wide"
      else
        echo "bench: wide: tsync failed, skipping its runs:" >&2
        tail -5 "$work/out" >&2
        tsync_ok=false
      fi
    fi
  done
  stop_mock
  grep '^wide-' "$work/results" >"$work/wide" || true
  sed -i '/^wide-/d' "$work/results"
  if $tsync_ok; then
    # The columns whose values differ from the sqlite3 shell's load, if any.
    local differ=""
    for c in $wide_columns; do
      [ "$(sqlite3 "$work/wide-replica.db" "SELECT quote($c) FROM wide ORDER BY id" | md5sum)" = \
        "$(sqlite3 "$work/wide-baseline.db" "SELECT quote($c) FROM wide ORDER BY id" | md5sum)" ] \
        || differ+=" $c"
    done
    echo "wide: columns whose values differ from the sqlite3 shell's:${differ:- none}" >>"$work/wide-notes"
  fi
  rm -f "$work/wide.json" "$work"/wide-baseline.db* "$work"/wide-replica.db*
}

# The paged cases: $paged users in one response, in pages of 100 read with an
# offset, and the same pages with $paged_latency_ms ms of latency added to each
# response; each replica checked against the one-response sync's. Prints its
# own table: medians, peak RSS, the ratio to one response, and the latency case
# against its floor (pages x latency): one page at a time (bench/fetch_ahead.sh
# measures pages asked ahead).
paged_case() {
  local n=$paged pages=$(( (paged + 99) / 100 ))
  local page_config="$work/paged-config.json"
  start_mock "$n"
  for _ in $(seq 1 "$runs"); do
    fresh_replica
    measure "paged-one-response" "$n" "${sync_cmd[@]}"
  done
  local digest
  digest=$(fields_digest "$work/replica.db")
  for latency in 0 "$paged_latency_ms"; do
    start_mock "$n" --paging offset --page-size 100 --max-page-size 100 --strict \
      --latency-ms "$latency"
    cat >"$page_config" <<JSON
{"max_concurrency": 1,
 "streams": [{"name": "user", "url": "$api/incremental/timestamp",
  "pagination": {"type": "offset", "param": "offset", "limit_param": "limit", "limit": 100,
                 "total_path": "total"}}]}
JSON
    local name="paged-100"
    [ "$latency" -eq 0 ] || name="paged-100-latency-${latency}ms"
    for _ in $(seq 1 "$runs"); do
      fresh_replica
      measure "$name" "$n" "$tsync" sync --quiet --config "$page_config" --db "$work/replica.db"
      [ "$(fields_digest "$work/replica.db")" = "$digest" ] \
        || { echo "bench: the paged sync differs from the one-response sync" >&2; exit 1; }
      [ "$(sqlite3 "$work/replica.db" "SELECT requests FROM _sync_log ORDER BY run_id DESC LIMIT 1")" = "$pages" ] \
        || { echo "bench: the paged sync did not take $pages requests" >&2; exit 1; }
    done
  done
  stop_mock
  grep '^paged-' "$work/results" >"$work/paged" || true
  sed -i '/^paged-/d' "$work/results"
  awk -v runs="$runs" -v n="$n" -v pages="$pages" -v ms="$paged_latency_ms" "$awk_median"'
    { t[$1] = t[$1] " " $2; if ($3 > rss[$1]) rss[$1] = $3 }
    END {
      one = median(t["paged-one-response"])
      printf "\npaged: %d users, pages of 100 (%d requests: the total ends the chain), medians of %d run(s)\n", n, pages, runs
      printf "%-28s %9s %9s %9s %9s %14s\n", "case", "median s", "min s", "max s", "peak MiB", "vs one response"
      split("paged-one-response paged-100 paged-100-latency-" ms "ms", order, " ")
      for (i = 1; i <= 3; i++) {
        c = order[i]; m = median(t[c])
        printf "%-28s %9.3f %9.3f %9.3f %9.1f %14s\n", c, m, lo, hi, rss[c] / 1024, sprintf("%.2fx", m / one)
      }
      floor = pages * ms / 1000
      m = median(t["paged-100-latency-" ms "ms"])
      printf "latency floor: %d requests x %d ms = %.1f s; the paged sync took %.2fx the floor (goal: at most 1.10x)\n", pages, ms, floor, m / floor
      printf "without latency: %.2fx the one-response sync (goal: at most 1.50x)\n", median(t["paged-100"]) / one
    }' "$work/paged"
}

# The requests-in-flight cases, each run $concurrency_runs time(s) (1 by default:
# the sequential syncs take about 100 s each).
# Windows: $concurrency users updated within the 10 days before the mock started,
# served in pages of 100 (an offset and the total) with $concurrency_latency_ms ms
# of latency per response, only to requests whose since and until are at most a
# day apart; tsync reads them in daily windows from a start_timestamp 10 days
# before the mock started (11 windows: 10 days and the seconds since), with
# max_concurrency 1 and 8, the same mock serving both.
# Streams: four endpoints of $concurrency / 4 records each, the same pages and
# latency, one stream each, with max_concurrency 1 and 4.
# Each replica is checked against the sequential one (every column of every row)
# and the mock's /admin/load gives the most requests it had in flight. Prints its
# own table: medians, peak RSS, requests, requests in flight, the speed-ups and
# the goals (at least 6x with 8 in flight and under 100 MB; at least 3x with 4).
concurrency_case() {
  local n=$concurrency quarter=$((concurrency / 4)) days=10 day=86400 latency=$concurrency_latency_ms
  local config="$work/concurrency-config.json" started start_timestamp c name digest streams s
  : >"$work/concurrency-rows"
  # table_digest DB TABLE: every column of every row, in key order.
  table_digest() { sqlite3 "$1" "SELECT * FROM \"$2\" ORDER BY id" | md5sum | cut -d' ' -f1; }
  # last_requests: the requests of the new replica's one run, every stream's.
  last_requests() { sqlite3 "$work/replica.db" "SELECT sum(requests) FROM _sync_log"; }
  in_flight() {
    curl -fsS "$api/admin/load" | sed 's/.*"peak_concurrent_requests":\([0-9]*\).*/\1/'
  }

  started=$(date +%s)
  start_mock "$n" --updated-within-days "$days" --since-mode inclusive --paging offset \
    --page-size 100 --max-page-size 100 --strict --latency-ms "$latency" \
    --until-param until --max-range-seconds "$day"
  start_timestamp=$(date -u -d "@$((started - days * day))" +%Y-%m-%dT%H:%M:%SZ)
  # The requests of each window as tsync cuts them (the last one ends now, and the
  # mock served nothing after it started): its total in pages of 100, or 1 when
  # empty. They set the floor the latency allows.
  local window_pages="" k from to total
  for k in $(seq 0 "$days"); do
    from=$((started - (days - k) * day))
    to=$((from + day))
    [ "$k" -lt "$days" ] || to=$(date +%s)
    total=$(curl -fsS -G --data-urlencode "since=$(date -u -d "@$from" +%Y-%m-%dT%H:%M:%SZ)" \
      --data-urlencode "until=$(date -u -d "@$to" +%Y-%m-%dT%H:%M:%SZ)" --data "offset=0&limit=1" \
      "$api/incremental/timestamp" | sed 's/.*"total":\([0-9]*\).*/\1/')
    window_pages+="${window_pages:+ }$(( total > 0 ? (total + 99) / 100 : 1 ))"
  done
  for c in 1 8; do
    cat >"$config" <<JSON
{"max_concurrency": $c,
 "streams": [{"name": "user", "url": "$api/incremental/timestamp",
  "until_param": "until", "window_seconds": $day, "start_timestamp": "$start_timestamp",
  "pagination": {"type": "offset", "param": "offset", "limit_param": "limit", "limit": 100,
                 "total_path": "total"}}]}
JSON
    name="windows-$c"
    for _ in $(seq 1 "$concurrency_runs"); do
      fresh_replica
      measure "$name" "$n" "$tsync" sync --quiet --config "$config" --db "$work/replica.db"
      [ "$(sqlite3 "$work/replica.db" 'SELECT count(*) FROM user')" = "$n" ] \
        || { echo "bench: the windowed sync with max_concurrency $c does not hold $n users" >&2; exit 1; }
      if [ "$c" -eq 1 ]; then
        digest=$(table_digest "$work/replica.db" user)
      else
        [ "$(table_digest "$work/replica.db" user)" = "$digest" ] \
          || { echo "bench: the replica with max_concurrency $c differs from the sequential one" >&2; exit 1; }
      fi
    done
    echo "$name $(last_requests) $(in_flight)" >>"$work/concurrency-rows"
  done
  stop_mock

  local fields="name:string;email:string;city:string;note:string;qty:integer;amount:float"
  local specs=() list=""
  for s in 1 2 3 4; do
    specs+=(--endpoint "path=/v1/stream$s,records=$quarter,seed=$s,fields=$fields,paging=offset,page_size=100,max_page_size=100,strict=true,latency_ms=$latency")
    list+="${list:+,
  }{\"name\": \"stream$s\", \"url\": \"\$API/v1/stream$s\", \"table\": \"stream$s\",
   \"pagination\": {\"type\": \"offset\", \"param\": \"offset\", \"limit_param\": \"limit\",
                  \"limit\": 100, \"total_path\": \"total\"}}"
  done
  start_mock 0 "${specs[@]}"
  streams=${list//\$API/$api}
  for c in 1 4; do
    printf '{"max_concurrency": %d,\n "streams": [%s]}\n' "$c" "$streams" >"$config"
    name="streams-$c"
    for _ in $(seq 1 "$concurrency_runs"); do
      fresh_replica
      measure "$name" "$((4 * quarter))" "$tsync" sync --quiet --config "$config" --db "$work/replica.db"
      for s in 1 2 3 4; do
        [ "$(sqlite3 "$work/replica.db" "SELECT count(*) FROM stream$s")" = "$quarter" ] \
          || { echo "bench: stream$s with max_concurrency $c does not hold $quarter records" >&2; exit 1; }
      done
      local now=""
      for s in 1 2 3 4; do now+="$(table_digest "$work/replica.db" "stream$s") "; done
      if [ "$c" -eq 1 ]; then
        digest=$now
      else
        [ "$now" = "$digest" ] \
          || { echo "bench: the replica with max_concurrency $c differs from the sequential one" >&2; exit 1; }
      fi
    done
    echo "$name $(last_requests) $(in_flight)" >>"$work/concurrency-rows"
  done
  stop_mock

  grep -E '^(windows|streams)-' "$work/results" >"$work/concurrency" || true
  sed -i -E '/^(windows|streams)-/d' "$work/results"
  local stream_pages=$(( quarter > 0 ? (quarter + 99) / 100 : 1 ))
  awk -v runs="$concurrency_runs" -v n="$n" -v quarter="$quarter" -v ms="$latency" \
    -v window_pages="$window_pages" -v stream_pages="$stream_pages" "$awk_median"'
    function verdict(ok) { return ok ? "PASS" : "MISS" }
    # floor(pages, threads): the seconds the latency alone takes when each job (its
    # requests in "pages") goes, in order, to the first of `threads` threads free,
    # and the requests of a job come one after another.
    function floor(pages, threads,   job, k, i, w, best, end) {
      k = split(pages, job, " ")
      for (w = 1; w <= threads; w++) busy[w] = 0
      for (i = 1; i <= k; i++) {
        best = 1
        for (w = 2; w <= threads; w++) if (busy[w] < busy[best]) best = w
        busy[best] += job[i]
      }
      end = 0
      for (w = 1; w <= threads; w++) if (busy[w] > end) end = busy[w]
      return end * ms / 1000
    }
    src == "rows" { requests[$1] = $2; flight[$1] = $3; next }
    { t[$1] = t[$1] " " $2; if ($3 > rss[$1]) rss[$1] = $3 }
    END {
      printf "\nconcurrency: pages of 100 with %d ms a response; medians of %d run(s); replicas identical to the sequential ones\n", ms, runs
      printf "%-56s %9s %9s %9s %10s\n", "case", "median s", "peak MiB", "requests", "in flight"
      split("windows-1 windows-8 streams-1 streams-4", order, " ")
      split(sprintf("%d users, daily windows over 10 days, max_concurrency 1|%d users, daily windows over 10 days, max_concurrency 8|4 streams of %d records, max_concurrency 1|4 streams of %d records, max_concurrency 4", n, n, quarter, quarter), label, "|")
      for (i = 1; i <= 4; i++) {
        c = order[i]; m[c] = median(t[c])
        printf "%-56s %9.3f %9.1f %9d %10d\n", label[i], m[c], rss[c] / 1024, requests[c], flight[c]
      }
      # With 8 in flight tsync cuts the range into shorter windows (about six per
      # request in flight), so the floor with 8 is its requests spread over 8.
      one = floor(window_pages, 1); eight = requests["windows-8"] * ms / 1000 / 8
      printf "windows: %d daily windows of %s requests; the latency alone takes %.1f s one at a time\n",
        split(window_pages, unused, " "), window_pages, one
      printf "windows: with 8 in flight tsync cut them shorter: %d requests, at least %.1f s of latency 8 at a time; the syncs took %.2fx and %.2fx these floors\n",
        requests["windows-8"], eight, m["windows-1"] / one, m["windows-8"] / eight
      x = m["windows-1"] / m["windows-8"]
      printf "windows: %.2fx faster with 8 in flight (goal: at least 6x) %s\n", x, verdict(x >= 6)
      # 100 MB is 95.4 MiB; GNU time reports KiB.
      printf "windows: peak RSS %.1f MB with 8 in flight, %.1f MB with 1 (goal: under 100 MB) %s\n",
        rss["windows-8"] * 1024 / 1000000, rss["windows-1"] * 1024 / 1000000,
        verdict(rss["windows-8"] * 1024 < 100000000 && rss["windows-1"] * 1024 < 100000000)
      streams4 = stream_pages " " stream_pages " " stream_pages " " stream_pages
      one = floor(streams4, 1); four = floor(streams4, 4)
      printf "streams: %d requests each; the latency alone takes %.1f s one at a time, %.1f s with 4 in flight; the syncs took %.2fx and %.2fx these floors\n",
        stream_pages, one, four, m["streams-1"] / one, m["streams-4"] / four
      x = m["streams-1"] / m["streams-4"]
      printf "streams: %.2fx faster with 4 in flight (goal: at least 3x) %s\n", x, verdict(x >= 3)
    }' src=rows "$work/concurrency-rows" src=times "$work/concurrency"
}

if $concurrency_only; then
  echo "bench: requests-in-flight cases, $concurrency users, $concurrency_runs run(s); $(nproc) cores"
elif $paged_only; then
  echo "bench: paged cases, $paged users, $runs run(s); $(nproc) cores"
elif $wide_only; then
  echo "bench: $wide wide records, $runs run(s); $(nproc) cores"
else
  echo "bench: $users users, $runs run(s) per case, scaling at ${scaling:-no size}, wide $wide; $(nproc) cores"
  largest=$(for n in $users $scaling; do echo "$n"; done | sort -n | tail -1)
  if [ "$largest" -gt "$one_piece_max" ]; then
    echo "bench: the sqlite3 shell loads more than $one_piece_max users in pages of about $page_records"
  fi
  # The largest size holds its JSON, the sqlite3 shell's table and the replica at
  # once, and SQLite's temporary files: about 1.3 KB per user.
  free=$(df -B1 --output=avail "$work" | tail -1 | tr -d ' ')
  if [ $((largest * 1300)) -gt "$free" ]; then
    echo "bench: warning: $largest users may need about $((largest * 13 / 10000000)) GB of disk" \
      "in the work folder's filesystem; $((free / 1000000000)) GB are free" >&2
  fi
fi
: >"$work/results"
: >"$work/disk"
: >"$work/scaling-cases"
: >"$work/wide"
: >"$work/wide-notes"
body_mb=0
# median(list): the median of the space-separated numbers; sets lo and hi.
awk_median='
  function median(list,   a, k, i, j, x) {
    k = split(list, a, " ")
    for (i = 2; i <= k; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
    lo = a[1]; hi = a[k]
    return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }'
if $concurrency_only; then
  concurrency_case
  exit 0
fi
if $paged_only; then
  paged_case
  [ "$concurrency" -eq 0 ] || concurrency_case
  exit 0
fi
if ! $wide_only; then
  users_cases
fi
if [ "$wide" -gt 0 ]; then
  wide_case
fi
if [ "$paged" -gt 0 ]; then
  paged_case >"$work/paged-table"
fi
if [ "$concurrency" -gt 0 ]; then
  concurrency_case >"$work/concurrency-table"
fi


# The table: median, min and max seconds per case, rows/s at the median, the
# largest peak RSS, and the median's ratio to the sqlite3 shell's median (for a
# scaling size's cases, to the sqlite3 shell's of that size).
if [ -s "$work/results" ]; then
  awk -v body_mb="$body_mb" "$awk_median"'
    { t[$1] = t[$1] " " $2; if ($3 > rss[$1]) rss[$1] = $3; rows[$1] = $4
      if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
    END {
      base = median(t["sqlite3-shell"])
      printf "body: %.0f MB of JSON\n", body_mb
      printf "%-28s %9s %9s %9s %12s %9s %10s\n", "case", "median s", "min s", "max s", "rows/s", "peak MiB", "vs sqlite3"
      for (i = 1; i <= n; i++) {
        c = order[i]; b = base
        if (c ~ /^(full|resync|fullpass|sqlite3-shell)-[0-9]+$/) {
          size = c; sub(/.*-/, "", size)
          if (("sqlite3-shell-" size) in t) b = median(t["sqlite3-shell-" size])
        }
        m = median(t[c])
        printf "%-28s %9.3f %9.3f %9.3f %12s %9.1f %10s\n", c, m, lo, hi,
          (rows[c] > 0 && m > 0) ? sprintf("%.0f", rows[c] / m) : "-", rss[c] / 1024,
          (b > 0) ? sprintf("%.2fx", m / b) : "-"
      }
    }' "$work/results"
fi

# The scaling table: per size, the medians of the sqlite3 shell and of tsync's
# full sync, re-sync and full pass, each tsync time also over its time at the
# reference size (1M, or the smallest size when 1M is not measured), the peak RSS
# and peak disk of tsync's cases; then the targets, met or missed, and the plot's
# data in scaling.dat.
if [ -s "$work/scaling-cases" ]; then
  awk -v runs="$runs" -v dat="$work/scaling.dat" "$awk_median"'
    function label(x) {
      return x >= 1000000 ? sprintf("%gM", x / 1000000) : x >= 1000 ? sprintf("%gk", x / 1000) : x
    }
    # target(ok, text): one line of the list of targets.
    function target(ok, text) { printf "  %-7s %s\n", ok ? "met" : "missed", text }
    src == "results" { t[$1] = t[$1] " " $2; if ($3 > rss[$1]) rss[$1] = $3 }
    src == "disk" { if (!($1 in disk) || $2 > disk[$1]) disk[$1] = $2 }
    src == "cases" {
      k++; size[k] = $1
      for (f = 2; f <= 5; f++) name[kinds[f - 1], k] = $f
    }
    BEGIN { split("shell full resync fullpass", kinds, " ") }
    END {
      r = 1
      for (i = 1; i <= k; i++) if (size[i] == 1000000) r = i
      R = label(size[r])
      for (i = 1; i <= k; i++) {
        for (f = 1; f <= 4; f++) med[kinds[f], i] = median(t[name[kinds[f], i]])
        mem[i] = 0; dsk[i] = 0
        for (f = 2; f <= 4; f++) {
          c = name[kinds[f], i]
          if (rss[c] > mem[i]) mem[i] = rss[c]
          if (disk[c] > dsk[i]) dsk[i] = disk[c]
        }
      }
      printf "\nscaling: medians of %d run(s); \"x %s\": over the time of the same case at %s\n", runs, R, R
      printf "%9s %10s %9s %10s %11s %9s %11s %11s %11s %13s %13s\n", "rows", "sqlite3 s", "full s",
        "vs sqlite3", "full", "resync s", "resync", "fullpass s", "fullpass", "peak RSS MiB", "peak disk MB"
      print "# rows sqlite3-shell full resync fullpass (median seconds)" >dat
      for (i = 1; i <= k; i++) {
        printf "%9s %10.3f %9.3f %9.2fx %11s %9.3f %11s %11.3f %11s %13.1f %13.1f\n", label(size[i]),
          med["shell", i], med["full", i], med["full", i] / med["shell", i],
          sprintf("%.2fx %s", med["full", i] / med["full", r], R), med["resync", i],
          sprintf("%.2fx %s", med["resync", i] / med["resync", r], R), med["fullpass", i],
          sprintf("%.2fx %s", med["fullpass", i] / med["fullpass", r], R), mem[i] / 1024, dsk[i]
        print size[i], med["shell", i], med["full", i], med["resync", i], med["fullpass", i] >dat
      }
      close(dat)

      printf "\ntargets (medians)%s:\n",
        size[r] == 1000000 ? "" : sprintf("; no 1M size in this run, %s stands for it", R)
      goal["full"] = 0.25; goal["resync"] = 0.40; goal["fullpass"] = 0.40
      for (f = 2; f <= 4; f++) {
        c = kinds[f]
        x = med[c, r] / med["shell", r]
        target(x <= goal[c], sprintf("%s %s <= %.2fx the sqlite3 shell: %.2fx (%.3f s / %.3f s)",
          c, R, goal[c], x, med[c, r], med["shell", r]))
        # Linear time: N rows in at most 1.1 N / R times the time of R rows (R = 1M:
        # 3.3x for 3M, 11x for 10M).
        for (i = 1; i <= k; i++) {
          if (size[i] <= size[r]) continue
          g = 1.1 * size[i] / size[r]
          x = med[c, i] / med[c, r]
          target(x <= g, sprintf("%s %s <= %.2fx the %s %s: %.2fx (%.3f s / %.3f s)",
            c, label(size[i]), g, R, c, x, med[c, i], med[c, r]))
        }
        if (c == "full") {
          # 100 MB is 95.4 MiB; GNU time reports KiB.
          ok = 1; list = ""
          for (i = 1; i <= k; i++) {
            if (mem[i] * 1024 > 100000000) ok = 0
            list = list sprintf("%s%s %.1f", i > 1 ? ", " : "", label(size[i]), mem[i] / 1024)
          }
          target(ok, "peak RSS <= 100 MB (95.4 MiB) at every size: " list " MiB")
        }
      }
    }' src=results "$work/results" src=disk "$work/disk" src=cases "$work/scaling-cases"

  if command -v gnuplot >/dev/null; then
    gnuplot -e "data='$work/scaling.dat'; out='$plot'" \
      -e "subtitle='$(date +%Y-%m-%d), $(nproc) cores, median of $runs run(s)'" "$root/bench/scaling.gp"
    [ "$(head -c 4 "$plot" | tail -c 3)" = PNG ] \
      || { echo "bench: gnuplot did not write a PNG to $plot" >&2; exit 1; }
    if $smoke && [ "$plot" = "$work/scaling.png" ]; then
      echo "plot: drawn (a smoke run's plot is not kept; --plot FILE keeps it)"
    else
      echo "plot: $plot"
    fi
  else
    echo "plot: none, gnuplot is not installed (scripts/install-deps.sh --bench installs it)"
  fi
fi

# The generic-endpoint case: both medians, their ratio (goal: 0.4 or less) and
# tsync's peak RSS (goal: 100 MB or less).
if [ -s "$work/wide" ]; then
  awk -v records="$wide" "$awk_median"'
    { t[$1] = t[$1] " " $2; if ($3 > rss[$1]) rss[$1] = $3 }
    END {
      base = median(t["wide-sqlite3-shell"])
      printf "wide: %d records of 20 fields; sqlite3 shell %.3f s (peak %.1f MiB)\n", records, base,
        rss["wide-sqlite3-shell"] / 1024
      if ("wide-full" in t) {
        m = median(t["wide-full"])
        printf "wide: tsync %.3f s, %.2fx the sqlite3 shell (goal <= 0.40x), peak RSS %.1f MB (goal <= 100 MB)\n",
          m, m / base, rss["wide-full"] * 1024 / 1000000
      } else {
        print "wide: tsync did not complete a run (see the error above)"
      }
    }' "$work/wide"
  cat "$work/wide-notes"
fi

# The paged cases' table (paged_case).
[ ! -s "$work/paged-table" ] || cat "$work/paged-table"

# The requests-in-flight cases' table (concurrency_case).
[ ! -s "$work/concurrency-table" ] || cat "$work/concurrency-table"
