#!/usr/bin/env bash
# Benchmarks tsync against the sqlite3 shell loading the same JSON with
# json_each, side by side on this machine, and prints a table.
#
#   bench/run.sh                 1M users (plus 100k and 3M for scaling), 3 runs each,
#                                then 1M records of 20 mixed fields on a generic endpoint
#   bench/run.sh --runs 5 --users 1000000 --scaling "100000 3000000" --wide 1000000
#   bench/run.sh --wide-only     the generic-endpoint case alone; --wide 0 skips it
#   bench/run.sh --smoke         a few thousand users, one run: checks the script works
#
# Every case runs the release build against tsync-mock-api on 127.0.0.1, one
# response holding every record. Wall time is measured around the process;
# peak memory is the process's max RSS from GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

runs=3
users=1000000
scaling="100000 3000000"
build=build
smoke=false
wide=1000000
wide_only=false
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --users) users=$2; shift 2 ;;
    --scaling) scaling=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    --wide) wide=$2; shift 2 ;;
    --wide-only) wide_only=true; shift ;;
    --smoke) smoke=true; runs=1; users=3000; scaling="1000"; wide=0; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done

if ! $smoke; then
  scripts/install-deps.sh
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j "$(nproc)" --target tsync tsync-mock-api >/dev/null
fi
case "$build" in /*) ;; *) build="$root/$build" ;; esac
tsync="$build/tsync"
mock_bin="$build/tsync-mock-api"
[ -x "$tsync" ] && [ -x "$mock_bin" ] || { echo "bench: build $build first" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: needs GNU time (apt-get install time)" >&2; exit 1; }

work=$(mktemp -d)
mock_pid=""
stop_mock() {
  if [ -n "$mock_pid" ]; then
    kill "$mock_pid" 2>/dev/null || true
    wait "$mock_pid" 2>/dev/null || true
    mock_pid=""
  fi
}
trap 'stop_mock; rm -rf "$work"' EXIT

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

fresh_replica() { rm -f "$work"/replica.db*; }
sync_cmd=("$tsync" sync --quiet --config "$work/config.json" --db "$work/replica.db")
mutate() { curl -fsS --data "" "$api/admin/mutate?update=$1&add=0" >/dev/null; }

# upsert.sql reads users.json; the full-load baseline runs it into a new table,
# the incremental one into a copy of the replica, with tsync's settings.
cat >"$work/upsert.sql" <<SQL
INSERT INTO user (id, name, email, address, company, job, updatedAt, createdAt)
SELECT value->>'id', value->>'name', value->>'email', value->>'address', value->>'company',
       value->>'job', value->>'updatedAt', value->>'createdAt'
FROM json_each(readfile('$work/users.json'), '\$.data') WHERE true
ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email,
  address = excluded.address, company = excluded.company, job = excluded.job,
  updatedAt = excluded.updatedAt, createdAt = excluded.createdAt
WHERE excluded.updatedAt > user.updatedAt;
SQL
cat >"$work/baseline.sql" <<SQL
CREATE TABLE user (id TEXT PRIMARY KEY NOT NULL, name TEXT, email TEXT, address TEXT,
                   company TEXT, job TEXT, updatedAt TEXT NOT NULL, createdAt TEXT);
BEGIN;
.read $work/upsert.sql
COMMIT;
SQL
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

# users_cases: the users endpoint's cases: full loads, re-syncs, incremental and
# no-change syncs, and the scaling runs.
users_cases() {
  start_mock "$users"
  curl -fsS "$api/incremental/timestamp?since=0001-01-01T00:00:00Z" -o "$work/users.json"
  body_mb=$(awk -v b="$(stat -c %s "$work/users.json")" 'BEGIN { print b / 1000000 }')
  for _ in $(seq 1 "$runs"); do
    rm -f "$work"/baseline.db*
    measure "sqlite3-shell" "$users" sqlite3 "$work/baseline.db" ".read $work/baseline.sql"
    fresh_replica
    measure "full" "$users" "${sync_cmd[@]}"
  done
  [ "$(sqlite3 "$work/replica.db" 'SELECT count(*) FROM user')" = "$users" ] \
    || { echo "bench: the replica does not hold $users users" >&2; exit 1; }
  [ "$(fields_digest "$work/replica.db")" = "$(fields_digest "$work/baseline.db")" ] \
    || { echo "bench: the replica differs from the sqlite3 shell's load" >&2; exit 1; }
  rm -f "$work/users.json" "$work"/baseline.db*

  for _ in $(seq 1 "$runs"); do
    mutate "$users"
    measure "resync-all-changed" "$users" "${sync_cmd[@]}"
  done
  # A full pass (sync --full) over the same replica where nothing changed: every
  # record is read again, every key marked seen, nothing rewritten or deleted.
  for _ in $(seq 1 "$runs"); do
    measure "full-pass-no-change" "$users" "${sync_cmd[@]}" --full
  done
  [ "$(sqlite3 "$work/replica.db" "SELECT count(*) FROM pragma_table_info('user') WHERE name = '_tsync_deleted_at'")" = 0 ] \
    || { echo "bench: a full pass with nothing changed marked rows deleted" >&2; exit 1; }
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

  for n in $scaling; do
    start_mock "$n"
    for _ in $(seq 1 "$runs"); do
      fresh_replica
      measure "full-$n" "$n" "${sync_cmd[@]}"
    done
    # Past a million ids the id index outgrows the default 64 MiB page cache; the
    # same sync with the cache the README recommends (64 MiB per million ids).
    if [ "$n" -gt 1000000 ]; then
      cache=$(( (n + 999999) / 1000000 * 64 ))
      sed "s/}\$/, \"cache_size_mib\": $cache}/" "$work/config.json" >"$work/config-cache.json"
      for _ in $(seq 1 "$runs"); do
        fresh_replica
        measure "full-$n-cache-${cache}MiB" "$n" "$tsync" sync --quiet --config "$work/config-cache.json" \
          --db "$work/replica.db"
      done
    fi
  done
  stop_mock
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

if $wide_only; then
  echo "bench: $wide wide records, $runs run(s); $(nproc) cores"
else
  echo "bench: $users users, $runs run(s) per case, scaling at $scaling, wide $wide; $(nproc) cores"
fi
: >"$work/results"
: >"$work/wide"
: >"$work/wide-notes"
body_mb=0
if ! $wide_only; then
  users_cases
fi
if [ "$wide" -gt 0 ]; then
  wide_case
fi

# median(list): the median of the space-separated numbers; sets lo and hi.
awk_median='
  function median(list,   a, k, i, j, x) {
    k = split(list, a, " ")
    for (i = 2; i <= k; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
    lo = a[1]; hi = a[k]
    return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }'

# The table: median, min and max seconds per case, rows/s at the median, the
# largest peak RSS, and the median's ratio to the sqlite3 shell's median.
if [ -s "$work/results" ]; then
  awk -v body_mb="$body_mb" "$awk_median"'
    { t[$1] = t[$1] " " $2; if ($3 > rss[$1]) rss[$1] = $3; rows[$1] = $4
      if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
    END {
      base = median(t["sqlite3-shell"])
      printf "body: %.0f MB of JSON\n", body_mb
      printf "%-28s %9s %9s %9s %12s %9s %10s\n", "case", "median s", "min s", "max s", "rows/s", "peak MiB", "vs sqlite3"
      for (i = 1; i <= n; i++) {
        c = order[i]; m = median(t[c])
        printf "%-28s %9.3f %9.3f %9.3f %12s %9.1f %10s\n", c, m, lo, hi,
          (rows[c] > 0 && m > 0) ? sprintf("%.0f", rows[c] / m) : "-", rss[c] / 1024,
          (c == "sqlite3-shell") ? "1.00x" : sprintf("%.2fx", m / base)
      }
    }' "$work/results"
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
