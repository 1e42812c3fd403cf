#!/usr/bin/env bash
# Benchmarks tsync against the sqlite3 shell loading the same JSON with
# json_each, side by side on this machine, and prints a table.
#
#   bench/run.sh                 1M users (plus 100k and 3M for scaling), 3 runs each
#   bench/run.sh --runs 5 --users 1000000 --scaling "100000 3000000"
#   bench/run.sh --smoke         a few thousand users, one run: checks the script works
#
# Every case runs the release build against tsync-mock-api on 127.0.0.1, one
# response holding every user. Wall time is measured around the process;
# peak memory is the process's max RSS from GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

runs=3
users=1000000
scaling="100000 3000000"
build=build
smoke=false
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --users) users=$2; shift 2 ;;
    --scaling) scaling=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    --smoke) smoke=true; runs=1; users=3000; scaling="1000"; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
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

# start_mock USERS: serves USERS users; sets $api (http://127.0.0.1:PORT).
start_mock() {
  stop_mock
  "$mock_bin" --users "$1" --port 0 >"$work/mock.log" 2>&1 &
  mock_pid=$!
  for _ in $(seq 1 1200); do
    grep -q serving "$work/mock.log" && break
    kill -0 "$mock_pid" 2>/dev/null || { cat "$work/mock.log" >&2; exit 1; }
    sleep 0.05
  done
  api=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/mock.log")
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

echo "bench: $users users, $runs run(s) per case, scaling at $scaling; $(nproc) cores"
: >"$work/results"

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

# The table: median, min and max seconds per case, rows/s at the median, the
# largest peak RSS, and the median's ratio to the sqlite3 shell's median.
awk -v body_mb="$body_mb" '
  { t[$1] = t[$1] " " $2; if ($3 > rss[$1]) rss[$1] = $3; rows[$1] = $4
    if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
  function median(list,   a, k, i, j, x) {
    k = split(list, a, " ")
    for (i = 2; i <= k; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
    lo = a[1]; hi = a[k]
    return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }
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
