#!/usr/bin/env bash
# The README's first command: installs what is missing, builds tsync, and runs
# it end to end against the bundled mock API on 127.0.0.1 — a full sync into
# replica.db, a change at the API, an incremental sync, a look at the replica
# with the sqlite3 shell. Starts replica.db afresh each time.
set -euo pipefail
cd "$(dirname "$0")/.."

users=${TSYNC_DEMO_USERS:-100000}

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target tsync tsync-mock-api >/dev/null
echo "built build/tsync and build/tsync-mock-api"

log=$(mktemp)
build/tsync-mock-api --users "$users" --port 0 >"$log" 2>&1 &
mock=$!
trap 'kill "$mock" 2>/dev/null || true; wait "$mock" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 600); do
  grep -q "serving" "$log" && break
  kill -0 "$mock" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
base_url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/incremental/timestamp' "$log")
api=${base_url%/incremental/timestamp}
echo "mock API: $users users at $base_url"

config=build/demo-configuration.json
printf '{"base_url": "%s", "database": "replica.db"}\n' "$base_url" >"$config"
rm -f replica.db replica.db-wal replica.db-shm replica.db.lock

echo
echo "== full sync"
build/tsync sync --config "$config"

echo
echo "== the API changes: 250 users updated, 40 added"
curl -fsS --data "" "$api/admin/mutate?update=250&add=40"
echo

echo
echo "== incremental sync"
build/tsync sync --config "$config"

echo
echo "== sqlite3 replica.db: the five users updated last"
sqlite3 -header -column replica.db \
  "SELECT id, name, company, job, updatedAt FROM user ORDER BY updatedAt DESC LIMIT 5;"

echo
echo "== sqlite3 replica.db: the runs"
sqlite3 -header -column replica.db \
  "SELECT run_id, status, rows_new, rows_updated, requests, cursor_after FROM _sync_log ORDER BY run_id;"

echo
echo "== tsync status"
build/tsync status --db replica.db
